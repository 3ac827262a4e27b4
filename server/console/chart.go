package console

import (
	"time"
)

// chart is a stacked bar chart of events per hour and status, drawn as
// SVG on the server, with a table of the same numbers for readers that do
// not see it.
type chart struct {
	Width, Height int
	Bars          []bar
	Totals        []statusTotal // per status, over the whole chart
	Max           int           // the tallest bar's count
	Hours         int
}

type bar struct {
	X, Width int
	Label    string // the hour, e.g. 14:00
	Total    int
	Parts    []barPart
}

type barPart struct {
	Status    string
	Count     int
	Y, Height int
}

type statusTotal struct {
	Status string
	Count  int
}

const (
	chartWidth  = 720
	chartHeight = 160
)

func newChart(since time.Time, hours int, counts []HourCount, statuses []string) chart {
	byHour := make(map[time.Time]map[string]int, len(counts))
	for _, hc := range counts {
		byHour[hc.Start.UTC().Truncate(time.Hour)] = hc.Counts
	}
	c := chart{Width: chartWidth, Height: chartHeight, Hours: hours}
	totals := map[string]int{}
	for i := range hours {
		start := since.Add(time.Duration(i) * time.Hour)
		b := bar{X: i * chartWidth / hours, Width: chartWidth/hours - 2, Label: start.Format("15:04")}
		for _, st := range statuses {
			n := byHour[start][st]
			if n > 0 {
				b.Parts = append(b.Parts, barPart{Status: st, Count: n})
				b.Total += n
				totals[st] += n
			}
		}
		c.Max = max(c.Max, b.Total)
		c.Bars = append(c.Bars, b)
	}
	for i := range c.Bars {
		y := chartHeight
		for j := range c.Bars[i].Parts {
			p := &c.Bars[i].Parts[j]
			p.Height = scale(p.Count, c.Max, chartHeight)
			y -= p.Height
			p.Y = y
		}
	}
	for _, st := range statuses {
		if totals[st] > 0 {
			c.Totals = append(c.Totals, statusTotal{st, totals[st]})
		}
	}
	return c
}

// scale is n's height in pixels when top is full height; a count above 0
// is at least one pixel.
func scale(n, top, height int) int {
	if n == 0 || top == 0 {
		return 0
	}
	return max(1, n*height/top)
}
