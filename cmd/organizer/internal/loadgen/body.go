package loadgen

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/shift72"
	"github.com/organizer-dev/organizer/adapters/vaultstream"
)

// verifier returns the provider's signature scheme; its Header and Prefix
// are what a platform sends.
func verifier(provider string) (adapters.HMACVerifier, error) {
	switch provider {
	case vaultstream.Name:
		return vaultstream.Verifier(), nil
	case shift72.Name:
		return shift72.Verifier(), nil
	}
	return adapters.HMACVerifier{}, fmt.Errorf("loadgen: unknown provider %q (known: %s, %s)", provider, vaultstream.Name, shift72.Name)
}

// errNoSecret is returned by Sign and Run when there is no secret to sign with.
var errNoSecret = errors.New("loadgen: no webhook secret to sign with")

// Sign returns the headers a provider sends with body, signed with secret:
// Content-Type application/json and the provider's signature header
// (VaultStream-Signature: sha256=<hex>, X-Shift-Signature: <hex>).
func Sign(provider, secret string, body []byte) (http.Header, error) {
	v, err := verifier(provider)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		return nil, errNoSecret
	}
	h := make(http.Header, 2)
	h.Set("Content-Type", "application/json")
	h.Set(v.Header, v.SignatureHeader(secret, body))
	return h, nil
}

// Body returns the i-th webhook body of the provider for seed: distinct for
// each (seed, i), deterministic, and shaped and sized like the platform's
// documented payloads. VaultStream bodies alternate content.transcoded and
// content.uploaded with content_id c_<seed tag>_<i> and titles the example
// rules match ("Marketing Q3 Review 0042", "Training: onboarding 17", ...);
// SHIFT72 bodies are ingestion_updated with slug /film/<i> and an ingestion
// uuid derived from (seed, i). An unknown provider gives nil.
func Body(provider, seed string, i int) []byte {
	g, err := newGenerator(provider, seed)
	if err != nil {
		return nil
	}
	return g.append(make([]byte, 0, g.sizeHint), i)
}

// generator builds the bodies of one (provider, seed) without allocating
// beyond the slice it appends to.
type generator struct {
	provider string
	tag      string // 12 hex digits of the seed's SHA-256: tells runs apart
	key      uint64 // the seed's SHA-256, for per-body pseudo-random values
	sizeHint int
}

func newGenerator(provider, seed string) (*generator, error) {
	if _, err := verifier(provider); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(seed))
	g := &generator{provider: provider, tag: hex.EncodeToString(sum[:6]), key: binary.LittleEndian.Uint64(sum[8:16])}
	g.sizeHint = 256
	if provider == shift72.Name {
		g.sizeHint = 1024
	}
	return g, nil
}

// mix is splitmix64's finalizer: a cheap, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (g *generator) append(dst []byte, i int) []byte {
	h := mix(g.key ^ uint64(i)*0x2545f4914f6cdd1d)
	if g.provider == shift72.Name {
		return g.appendShift72(dst, i, h)
	}
	return g.appendVaultStream(dst, i, h)
}

// titles are realistic titles, some of which the example rules match
// (training and leadership words), some not.
var titles = []struct {
	prefix string
	pad    bool // zero-pad the number to four digits
	suffix string
}{
	{"Marketing Q3 Review ", true, ""},
	{"Training: onboarding ", false, ""},
	{"CEO Town Hall ", true, " (recording)"},
	{"Compliance module ", false, ": data protection"},
	{"Finance Quarterly Results ", true, ""},
	{"Product demo ", true, " - new editor"},
	{"All-hands ", true, ""},
	{"Sales Kickoff ", false, " keynote"},
}

func appendTitle(dst []byte, i int) []byte {
	t := titles[(uint(i)/2)%uint(len(titles))]
	dst = append(dst, t.prefix...)
	if t.pad && i >= 0 {
		for d := 1000; d > 1 && i < d; d /= 10 {
			dst = append(dst, '0')
		}
	}
	dst = strconv.AppendInt(dst, int64(i), 10)
	return append(dst, t.suffix...)
}

func (g *generator) appendVaultStream(dst []byte, i int, h uint64) []byte {
	if i%2 == 0 {
		dst = append(dst, `{"type": "content.transcoded", "data": {"content_id": "c_`...)
	} else {
		dst = append(dst, `{"type": "content.uploaded", "data": {"content_id": "c_`...)
	}
	dst = append(dst, g.tag...)
	dst = append(dst, '_')
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, `", "title": "`...)
	dst = appendTitle(dst, i)
	if i%2 == 0 {
		dst = append(dst, `", "variants": ["1080p", "720p", "480p"], "duration_seconds": `...)
		dst = strconv.AppendUint(dst, 60+h%3540, 10)
	} else {
		dst = append(dst, `", "size_bytes": `...)
		dst = strconv.AppendUint(dst, 1<<20+h%(1<<30), 10)
		dst = append(dst, `, "uploaded_by": "u_`...)
		dst = strconv.AppendUint(dst, 1+(h>>32)%200, 10)
		dst = append(dst, '"')
	}
	return append(dst, "}}"...)
}

var encodings = []struct{ encoding, drm, dir, ext string }{
	{"trailer_mp4", "none", "", "_trailer.mp4"},
	{"sd_widevine_classic", "widevine_classic", "", ".wvm"},
	{"dash_live_cenc", "playready", "live/", ".mpd"},
	{"dash_cenc", "widevine", "", ".mpd"},
}

// epoch is when the generated ingestions happen, one second apart.
var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func (g *generator) appendShift72(dst []byte, i int, h uint64) []byte {
	h2 := mix(h)
	enc := encodings[h%uint64(len(encodings))]
	var pkgBuf [4]byte
	pkg := strconv.AppendUint(pkgBuf[:0], 1+(h>>8)%12, 10)
	var uuid [36]byte
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], h2)
	binary.BigEndian.PutUint64(raw[8:], mix(h2))
	hex.Encode(uuid[0:8], raw[0:4])
	uuid[8] = '-'
	hex.Encode(uuid[9:13], raw[4:6])
	uuid[13] = '-'
	hex.Encode(uuid[14:18], raw[6:8])
	uuid[18] = '-'
	hex.Encode(uuid[19:23], raw[8:10])
	uuid[23] = '-'
	hex.Encode(uuid[24:36], raw[10:16])

	dst = append(dst, "{\n\"notify\":\"https://store.shift72.com/services/content/v1/encoding\",\n\"publish\":false,\n\"slug\":\"/film/"...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, "\",\n\"status\":\"completed\",\n\"updates\":[\n{\n\"ingestion_uuid\":\""...)
	dst = append(dst, uuid[:]...)
	dst = append(dst, "\",\n\"package_output_id\":"...)
	dst = append(dst, pkg...)
	dst = append(dst, ",\n\"drm_key_widevine\":null,\n\"drm_key_playready\":null,\n\"drm_key_fairplay\":null,\n\"drms\":[\n\""...)
	dst = append(dst, enc.drm...)
	dst = append(dst, "\"\n],\n\"content_encoding\":\""...)
	dst = append(dst, enc.encoding...)
	dst = append(dst, "\",\n\"output_path\":\"/"...)
	dst = append(dst, uuid[:]...)
	dst = append(dst, '/')
	dst = append(dst, pkg...)
	dst = append(dst, '/')
	dst = append(dst, enc.dir...)
	dst = append(dst, "film_"...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, '_')
	dst = append(dst, g.tag...)
	dst = append(dst, enc.ext...)
	dst = append(dst, "\",\n\"status\":\"completed\",\n\"width\":1024,\n\"height\":576,\n\"bitrate\":"...)
	dst = strconv.AppendUint(dst, 1500+(h>>16)%600, 10)
	dst = append(dst, ",\n\"error_message\":\"\",\n\"created_at\":\""...)
	created := epoch.Add(time.Duration(i) * time.Second)
	dst = created.AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, "\",\n\"updated_at\":\""...)
	dst = created.Add(time.Duration(60+(h>>24)%1800)*time.Second).AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, "\",\n\"source_url\":\"s3://s72-bucket/film-"...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, ".mp4\"\n}\n],\n\"eventType\":\"ingestion_updated\"\n}\n"...)
	return dst
}
