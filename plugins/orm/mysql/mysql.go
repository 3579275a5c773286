// Package mysql is the orm plugin's MySQL and MariaDB driver: bun's
// mysqldialect on go-sql-driver/mysql. Give it to the plugin when the app
// uses MySQL or MariaDB; an app that does not import this package links no
// MySQL driver.
//
//	app.Install(orm.New(orm.WithDriver(mysql.Driver()), orm.WithDSN("mysql://app@db:3306/app")))
package mysql

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/covetgo/covet/plugins/orm"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/schema"
)

// Driver returns the MySQL/MariaDB driver for mysql:// URLs and
// go-sql-driver DSNs such as "user@tcp(host:3306)/db".
func Driver() orm.Driver { return driver{} }

type driver struct{}

func (driver) Dialect() orm.Dialect { return orm.MySQL }

// Open parses the DSN (times are scanned as time.Time, in UTC unless the
// DSN sets loc) and opens a pool on go-sql-driver/mysql.
func (driver) Open(dsn string) (orm.Pool, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return orm.Pool{}, err
	}
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		return orm.Pool{}, fmt.Errorf("orm: MySQL DSN %q: %w", orm.Redact(dsn), err)
	}
	return orm.Pool{DB: sql.OpenDB(conn), Where: fmt.Sprintf("mysql %s/%s", cfg.Addr, cfg.DBName)}, nil
}

// ParseDSN parses a mysql:// URL or a go-sql-driver DSN into the driver's
// configuration, with ParseTime on (bun needs time.Time) and UTC as the
// default location.
func ParseDSN(dsn string) (*gomysql.Config, error) {
	driverDSN := dsn
	if strings.HasPrefix(strings.ToLower(dsn), "mysql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("orm: parse MySQL DSN %q: %w", orm.Redact(dsn), err)
		}
		var b strings.Builder
		if u.User != nil {
			b.WriteString(u.User.Username())
			if pw, ok := u.User.Password(); ok {
				b.WriteByte(':')
				b.WriteString(pw)
			}
			b.WriteByte('@')
		}
		host := u.Host
		if u.Port() == "" && host != "" {
			host = net.JoinHostPort(u.Hostname(), "3306")
		}
		b.WriteString("tcp(" + host + ")/" + strings.TrimPrefix(u.Path, "/"))
		if u.RawQuery != "" {
			b.WriteString("?" + u.RawQuery)
		}
		driverDSN = b.String()
	}
	cfg, err := gomysql.ParseDSN(driverDSN)
	if err != nil {
		return nil, fmt.Errorf("orm: parse MySQL DSN %q: %w", orm.Redact(dsn), err)
	}
	cfg.ParseTime = true
	if cfg.Loc == nil {
		cfg.Loc = time.UTC
	}
	return cfg, nil
}

func (driver) BunDialect() schema.Dialect { return mysqldialect.New() }

var (
	dupKey = regexp.MustCompile(`for key '([^']+)'`)
	fkName = regexp.MustCompile("CONSTRAINT `([^`]+)`")
)

func (driver) ClassifyError(err error) (orm.Kind, string, bool) {
	var e *gomysql.MySQLError
	if !errors.As(err, &e) {
		return orm.KindOther, "", false
	}
	switch e.Number {
	case 1062, 1586:
		name := ""
		if m := dupKey.FindStringSubmatch(e.Message); m != nil {
			name = m[1]
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				name = name[i+1:]
			}
		}
		return orm.KindUnique, name, true
	case 1451, 1452, 1216, 1217:
		name := ""
		if m := fkName.FindStringSubmatch(e.Message); m != nil {
			name = m[1]
		}
		return orm.KindForeignKey, name, true
	case 1048, 1364, 1406, 1264, 1366, 1292, 3819, 4025:
		name := ""
		if m := fkName.FindStringSubmatch(e.Message); m != nil {
			name = m[1]
		}
		return orm.KindInvalid, name, true
	case 1213:
		return orm.KindConflict, "", true
	case 1205, 1317, 3024, 1969:
		return orm.KindTimeout, "", true
	case 1040, 1053, 1927, 2006, 2013:
		return orm.KindUnavailable, "", true
	}
	return orm.KindOther, "", true
}

func (driver) ConnectionLost(err error) bool {
	if errors.Is(err, gomysql.ErrInvalidConn) {
		return true
	}
	var my *gomysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case 1053, 1927, 2006, 2013:
			return true
		}
	}
	return false
}

func (driver) RefersToMissing(err error) (bool, bool) {
	var my *gomysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1452 || my.Number == 1216, true
	}
	return false, false
}

var _ orm.Driver = driver{}
