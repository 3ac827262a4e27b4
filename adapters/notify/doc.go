// Package notify delivers a rule's notify action: it POSTs the message to a
// Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat and the
// like) as {"text": "…"} with Content-Type application/json and User-Agent
// organizer, and classifies the outcome as every adapter call is classified
// (adapters.CallError), so that the service retries a notification as it
// retries a platform call and records its result in the decision log.
//
// # Destinations
//
// A rule file names where its notifications go, so a rule author could
// otherwise make the service post to addresses only it can reach: a cloud
// metadata endpoint, an admin port on loopback, a database on the private
// network. By default a Sender therefore posts only over https, and only to
// public addresses. It refuses, without sending anything:
//
//   - http URLs;
//   - loopback (127.0.0.0/8, ::1), private (10.0.0.0/8, 172.16.0.0/12,
//     192.168.0.0/16, fc00::/7), link-local (169.254.0.0/16, which holds the
//     cloud metadata address 169.254.169.254, and fe80::/10), unspecified
//     (0.0.0.0/8, ::), multicast and shared (CGNAT, 100.64.0.0/10)
//     addresses;
//   - the documentation, benchmarking and reserved ranges (192.0.0.0/24,
//     192.0.2.0/24, 198.18.0.0/15, 198.51.100.0/24, 203.0.113.0/24,
//     240.0.0.0/4 with the broadcast address, 100::/64, 2001:db8::/32,
//     fec0::/10): nothing public lives there;
//   - IPv6 spellings of any of these IPv4 addresses (IPv4-mapped
//     ::ffff:a.b.c.d, IPv4-compatible, NAT64 64:ff9b::/96 and
//     64:ff9b:1::/48, 6to4 2002::/16);
//   - names that resolve to any of these.
//
// Names are checked on the addresses they resolve to, at the moment of
// connecting (in the dialer's Control function, on the address actually
// dialled), not only on the URL as written: a name whose DNS answer changes
// between a check and the connection (DNS rebinding) cannot slip through,
// and neither can spellings the URL parser and the resolver read
// differently. The host is always what Go's URL parser says it is, so
// "https://hooks.example.com@10.0.0.1/" goes to 10.0.0.1 and is refused.
// No proxy is used, since a proxy would connect on the Sender's behalf to
// an address it never saw. Only http and https URLs are posted to at all.
//
// An operator lifts the refusal for chosen hosts with notify.allow_hosts in
// the service's configuration or ORGANIZER_NOTIFY_ALLOW_HOSTS in its
// environment (comma-separated, read with ParseAllowHosts): an entry "host"
// allows that host on every port, "host:port" on that port only, over http
// or https, whatever its addresses. That is how a chat server on the
// private network, or a local receiver in tests and demos, is reached.
// Entries match the URL's host as written: a name, or an IPv4 or IPv6
// address (in brackets with a port, as in "[fd00::5]:8443").
//
// # Delivery
//
// Redirects are not followed: a 3xx answer is a Permanent failure, and the
// redirect's target receives nothing. A delivery, from connecting to
// reading the answer, takes at most 10 seconds (less if the caller's
// context says so). Of an answer's body Send reads at most 4 KiB, enough to
// reuse the connection after a webhook's "ok" or error code.
//
// The outcome: nil for a 2xx; RateLimited with the answer's Retry-After for
// a 429; Transient for a 408, a 5xx, a timeout or a connection error;
// Permanent for a refused destination, a malformed URL, a redirect or any
// other answer.
//
// # Secrets
//
// A webhook URL is a credential (a Slack webhook's token is its path; other
// services put it in the query or the userinfo), and a notification's text
// may be confidential. This package logs nothing. Its errors name the
// destination by its host (and port) only; they never quote the text, the
// URL's path, query, fragment or userinfo, and they show an error answer's
// first line only when it repeats no part of the text.
package notify
