package pgsql

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// scanBoth scans src with pgx's text plan and with timestamptzCodec's.
func scanBoth(t *testing.T, src []byte) (want, got pgtype.Timestamptz, wantErr, gotErr error) {
	t.Helper()
	m := pgtype.NewMap()
	wantErr = m.PlanScan(pgtype.TimestamptzOID, pgtype.TextFormatCode, &want).Scan(src, &want)
	c := timestamptzCodec{&pgtype.TimestamptzCodec{}}
	gotErr = c.PlanScan(m, pgtype.TimestamptzOID, pgtype.TextFormatCode, &got).Scan(src, &got)
	return
}

// TestTimestamptzTextAsPgx: for every text the fast path reads and for the
// shapes it leaves to pgx, the value (instant, location, infinity) and the
// error are pgx's.
func TestTimestamptzTextAsPgx(t *testing.T) {
	cases := []string{
		"2026-12-07 10:00:00.123456+00", "2026-12-07 10:00:00+00", "2024-02-29 23:59:59.9+05:30",
		"1999-12-31 23:59:59.000001-03:30", "1850-01-01 00:00:00+00:19:32", "2000-01-01 00:00:00-12",
		"1000-01-01 00:00:00+14", "9999-12-31 23:59:59.999999-14", "2023-02-29 00:00:00+00",
		"2026-13-01 00:00:00+00", "2026-12-07 24:00:00+00", "2026-12-07 10:00:60+00", "2026-12-07 10:00:00.1234567+00",
		"2026-12-07 10:00:00.+00", "2026-12-07 10:00:00Z", "2026-12-07 10:00:00", "2026-12-07", "infinity", "-infinity",
		"0044-03-15 12:00:00+00 BC", "12026-01-01 00:00:00+00", "0999-01-01 00:00:00+00", "2026-12-07 10:00:00+0530",
		"2026-12-07 10:00:00+05:3", "2026-12-07 10:00:00+05:30:", "2026-12-07 10:00:00+05:60", "2026-12-07 10:00:00+123",
		"2026-12-07 10:00:00.123456+00 ", "2026-12-07T10:00:00+00", "", "x",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		at := time.Unix(r.Int64N(253402300799-(-30610224000))+(-30610224000), int64(r.IntN(1e6))*1000)
		zone := time.FixedZone("", (r.IntN(28*3600)-14*3600)/60*60+r.IntN(2)*r.IntN(60))
		s := at.In(zone).Format("2006-01-02 15:04:05.999999-07:00:00")
		cases = append(cases, s)
	}
	for _, s := range cases {
		want, got, wantErr, gotErr := scanBoth(t, []byte(s))
		if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) || want != got {
			t.Errorf("%q: got %#v, %v; pgx %#v, %v", s, got, gotErr, want, wantErr)
		}
	}
	if _, ok := parseISOTimestamptz([]byte("2026-12-07 10:00:00.123456+05:30")); !ok {
		t.Error("the server's common shape did not take the fast path")
	}
}

// TestTimestamptzTextFromServer reads timestamps in several session time
// zones (half hours, quarter hours, a historical offset with seconds) as
// text through the fast path and as binary through pgx: the same instants.
func TestTimestamptzTextFromServer(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(covettest.PostgresDSN())
	covettest.NeedService(t, "PostgreSQL", err)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	covettest.NeedService(t, "PostgreSQL", err)
	defer conn.Close(ctx)
	if err := registerTypes(ctx, conn); err != nil {
		t.Fatal(err)
	}
	const q = `SELECT t FROM (VALUES ('2026-12-07 10:00:00.123456+00'::timestamptz), ('1850-06-01 12:00:00+00'),
		('2024-02-29 23:59:59.999999+00'), ('1000-01-01 00:00:00+00'), ('0044-03-15 12:00:00+00 BC'), ('infinity'), (NULL)) v(t)`
	for _, zone := range []string{"UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Europe/Amsterdam", "Asia/Kathmandu"} {
		if _, err := conn.Exec(ctx, "SET TimeZone = '"+zone+"'"); err != nil {
			t.Fatal(err)
		}
		read := func(mode pgx.QueryExecMode) []pgtype.Timestamptz {
			rows, err := conn.Query(ctx, q, mode)
			if err != nil {
				t.Fatal(err)
			}
			out, err := pgx.CollectRows(rows, pgx.RowTo[pgtype.Timestamptz])
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		text, binary := read(pgx.QueryExecModeExec), read(pgx.QueryExecModeDescribeExec)
		for i := range binary {
			if text[i] != binary[i] || !text[i].Time.Equal(binary[i].Time) {
				t.Errorf("%s row %d: text %v, binary %v", zone, i, text[i], binary[i])
			}
		}
	}
}
