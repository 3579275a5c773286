package orm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/uptrace/bun"
)

// scanRowUser is User with an AfterScanRow hook: pages of it are scanned
// by bun's own model, which calls the hook per row.
type scanRowUser struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64  `bun:",pk,autoincrement" json:"id"`
	Email         string `bun:",notnull" json:"email"`
	Scanned       bool   `bun:"-" json:"scanned"`
}

func (u *scanRowUser) AfterScanRow(context.Context) error { u.Scanned = true; return nil }

// extraUser has a column the users table does not: selected with an
// expression, bun scans it; left out, bun's own rules apply.
type extraUser struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64  `bun:",pk,autoincrement" json:"id"`
	Email         string `json:"email"`
	Upper         string `bun:",scanonly" json:"upper"`
}

// TestPagesScanAsBunDoes is the differential test of the page scanner
// (scan.go): on every dialect, Paginate and PaginateKeyset return exactly
// what bun's own Scan returns for the same query (nulls, times, soft-deleted
// rows skipped), models with scan-row hooks still get them, and columns that
// are not the model's behave as bun makes them behave.
func TestPagesScanAsBunDoes(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *ormtest.DB) {
		migrated(t, db)
		ctx := context.Background()
		users := make([]User, 30)
		for i := range users {
			users[i] = User{Email: fmt.Sprintf("u%02d@x", i), Name: strings.Repeat("n", i%4)}
		}
		_, err := db.NewInsert().Model(&users).Exec(ctx)
		must(t, err)
		_, err = db.NewDelete().Model((*User)(nil)).Where("id % 7 = 0").Exec(ctx)
		must(t, err)
		_, err = db.NewUpdate().Model((*User)(nil)).Set("updated_at = ?", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)).Where("id % 3 = 0").Exec(ctx)
		must(t, err)
		js := func(v any) []byte {
			b, err := json.Marshal(v)
			must(t, err)
			return b
		}

		var want []User
		must(t, db.NewSelect().Model((*User)(nil)).Order("id").Limit(10).Offset(5).Scan(ctx, &want))
		p, err := orm.Paginate[User](ctx, db.NewSelect().Model((*User)(nil)).Order("id"), 10, 5)
		must(t, err)
		if !bytes.Equal(js(p.Items), js(want)) {
			t.Errorf("Paginate:\n got %s\nwant %s", js(p.Items), js(want))
		}

		want = nil
		must(t, db.NewSelect().Model((*User)(nil)).Order("created_at", "id").Limit(11).Scan(ctx, &want))
		k, err := orm.PaginateKeyset[User](ctx, db.NewSelect().Model((*User)(nil)), orm.Keyset{Columns: []string{"created_at", "id"}}, "", 10)
		must(t, err)
		if !bytes.Equal(js(k.Items), js(want[:10])) {
			t.Errorf("PaginateKeyset:\n got %s\nwant %s", js(k.Items), js(want[:10]))
		}

		h, err := orm.PaginateKeyset[scanRowUser](ctx, db.NewSelect().Model((*scanRowUser)(nil)).Where("deleted_at IS NULL"), orm.Keyset{Columns: []string{"id"}}, "", 5)
		must(t, err)
		for _, u := range h.Items {
			if !u.Scanned {
				t.Errorf("AfterScanRow not called for %+v", u)
			}
		}

		e, err := orm.PaginateKeyset[extraUser](ctx, db.NewSelect().Model((*extraUser)(nil)).Column("id", "email").ColumnExpr("UPPER(email) AS upper").Where("deleted_at IS NULL"),
			orm.Keyset{Columns: []string{"id"}}, "", 3)
		must(t, err)
		if len(e.Items) != 3 || e.Items[0].Upper != strings.ToUpper(e.Items[0].Email) {
			t.Errorf("scanonly column: %+v", e.Items)
		}

		// A column that is not the model's: bun's own error, and "_"
		// columns skipped as bun skips them.
		var bunErr error
		var sink []extraUser
		bunErr = db.NewSelect().Model((*extraUser)(nil)).ColumnExpr("id, 1 AS nope").Limit(2).Scan(ctx, &sink)
		_, err = orm.PaginateKeyset[extraUser](ctx, db.NewSelect().Model((*extraUser)(nil)).ColumnExpr("id, 1 AS nope"), orm.Keyset{Columns: []string{"id"}}, "", 2)
		if err == nil || bunErr == nil || err.Error() != bunErr.Error() {
			t.Errorf("unknown column: %v, bun says %v", err, bunErr)
		}
		s, err := orm.PaginateKeyset[extraUser](ctx, db.NewSelect().Model((*extraUser)(nil)).ColumnExpr("id, email, 1 AS _skip"), orm.Keyset{Columns: []string{"id"}}, "", 2)
		must(t, err)
		if len(s.Items) != 2 || s.Items[0].Email == "" {
			t.Errorf("a _ column: %+v", s.Items)
		}
	})
}
