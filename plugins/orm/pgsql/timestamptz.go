package pgsql

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// timestamptzCodec is pgx's timestamptz codec with a shorter path for the
// text results of pgx's exec mode (which does not describe statements, so
// every timestamptz column arrives as text): the common shape the server
// writes under its default ISO DateStyle, "2006-01-02 15:04:05[.ffffff]+07"
// with a four-digit year (offset minutes and seconds optional), is read by
// fixed positions; anything else (infinity, BC, years beyond 9999, bad
// input) goes to pgx's own plan. The time it makes is pgx's to the bit: the
// same instant, in the same location (TestTimestamptzTextAsPgx).
type timestamptzCodec struct {
	*pgtype.TimestamptzCodec
}

// PlanScan implements pgtype.Codec. pgx plans a scan per column per query
// (no cache): the text plan is a single pointer, which an interface holds
// without allocating.
func (c timestamptzCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if format == pgtype.TextFormatCode {
		if _, ok := target.(pgtype.TimestamptzScanner); ok {
			return textTimestamptzPlan{c.TimestamptzCodec}
		}
	}
	return c.TimestamptzCodec.PlanScan(m, oid, format, target)
}

type textTimestamptzPlan struct{ c *pgtype.TimestamptzCodec }

// Scan implements pgtype.ScanPlan.
func (p textTimestamptzPlan) Scan(src []byte, dst any) error {
	scanner := dst.(pgtype.TimestamptzScanner)
	if src == nil {
		return scanner.ScanTimestamptz(pgtype.Timestamptz{}) // as pgx
	}
	t, ok := parseISOTimestamptz(src)
	if !ok {
		// pgx's text plan (its PlanScan does not use the map for it).
		return p.c.PlanScan(nil, pgtype.TimestamptzOID, pgtype.TextFormatCode, dst).Scan(src, dst)
	}
	// pgx's text and binary paths return time.Local unless the codec names
	// a location.
	loc := time.Local
	if p.c.ScanLocation != nil {
		loc = p.c.ScanLocation
	}
	return scanner.ScanTimestamptz(pgtype.Timestamptz{Time: t.In(loc), Valid: true})
}

// parseISOTimestamptz reads "YYYY-MM-DD hh:mm:ss[.f{1,6}]±hh[:mm[:ss]]"
// (years 1000 to 9999). ok is false for anything else, which pgx parses.
func parseISOTimestamptz(s []byte) (t time.Time, ok bool) {
	if len(s) < 22 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return t, false
	}
	_ = s[21]
	y1, y2 := d2(s[0], s[1]), d2(s[2], s[3])
	year, month, day := y1.v*100+y2.v, d2(s[5], s[6]), d2(s[8], s[9])
	hour, minute, sec := d2(s[11], s[12]), d2(s[14], s[15]), d2(s[17], s[18])
	if !(y1.ok && y2.ok && month.ok && day.ok && hour.ok && minute.ok && sec.ok) || year < 1000 ||
		month.v < 1 || month.v > 12 || day.v < 1 || day.v > daysIn(year, month.v) || hour.v > 23 || minute.v > 59 || sec.v > 59 {
		return t, false
	}
	i := 19
	nsec := 0
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			nsec = nsec*10 + int(s[i]-'0')
			i++
		}
		n := i - start
		if n == 0 || n > 6 {
			return t, false
		}
		for ; n < 9; n++ {
			nsec *= 10
		}
	}
	// The offset: sign, two hour digits, then optionally :mm and :ss.
	if i+3 > len(s) || (s[i] != '+' && s[i] != '-') {
		return t, false
	}
	neg := s[i] == '-'
	oh := d2(s[i+1], s[i+2])
	if !oh.ok {
		return t, false
	}
	off := oh.v * 3600
	i += 3
	for _, unit := range [2]int{60, 1} {
		if i == len(s) {
			break
		}
		if i+3 > len(s) || s[i] != ':' {
			return t, false
		}
		v := d2(s[i+1], s[i+2])
		if !v.ok || v.v > 59 {
			return t, false
		}
		off += v.v * unit
		i += 3
	}
	if i != len(s) {
		return t, false
	}
	if neg {
		off = -off
	}
	secs := daysFromCivil(year, month.v, day.v)*86400 + int64(hour.v*3600+minute.v*60+sec.v) - int64(off)
	return time.Unix(secs, int64(nsec)).UTC(), true
}

// two is a two-digit number and whether both bytes were digits.
type two struct {
	v  int
	ok bool
}

// d2 reads two ASCII digits.
func d2(a, b byte) two {
	x, y := a-'0', b-'0' // bytes below '0' wrap above 9
	return two{int(x)*10 + int(y), x <= 9 && y <= 9}
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to the date in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 999 here: no negative years
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
