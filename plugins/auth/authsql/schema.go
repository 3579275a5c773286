package authsql

import "strings"

// Table names, after the prefix.
const (
	tFamilies = "refresh_families"
	tTokens   = "refresh_tokens"
	tJTI      = "revoked_tokens"
	tSubjects = "revoked_subjects"
	tSessions = "sessions"
	tOnce     = "once"
)

// Schema returns the DDL of the store's tables for dialect d and table
// prefix p: every time a BIGINT of Unix milliseconds, every flag a SMALLINT
// 0/1, so one schema reads the same on the three dialects. Each statement
// is idempotent.
func Schema(d Dialect, p string) []string {
	text := "TEXT"
	if d == MySQL {
		text = "MEDIUMTEXT"
	}
	tables := []struct {
		name, cols string
		idx        [][2]string // name suffix, columns
	}{
		{tFamilies, "family VARCHAR(128) NOT NULL PRIMARY KEY, subject VARCHAR(255) NOT NULL, data " + text + " NOT NULL, " +
			"expires BIGINT NOT NULL, revoked SMALLINT NOT NULL DEFAULT 0",
			[][2]string{{"subject", "subject"}, {"expires", "expires"}}},
		{tTokens, "hash VARCHAR(128) NOT NULL PRIMARY KEY, family VARCHAR(128) NOT NULL, used SMALLINT NOT NULL DEFAULT 0, expires BIGINT NOT NULL",
			[][2]string{{"expires", "expires"}}},
		{tJTI, "subject VARCHAR(255) NOT NULL, jti VARCHAR(255) NOT NULL, expires BIGINT NOT NULL, PRIMARY KEY (subject, jti)",
			[][2]string{{"expires", "expires"}}},
		{tSubjects, "subject VARCHAR(255) NOT NULL PRIMARY KEY, cutoff BIGINT NOT NULL, expires BIGINT NOT NULL",
			[][2]string{{"expires", "expires"}}},
		{tSessions, "hash VARCHAR(128) NOT NULL PRIMARY KEY, user_id VARCHAR(255) NOT NULL, data " + text + " NOT NULL, expires BIGINT NOT NULL",
			[][2]string{{"user", "user_id"}, {"expires", "expires"}}},
		{tOnce, "id VARCHAR(255) NOT NULL PRIMARY KEY, expires BIGINT NOT NULL",
			[][2]string{{"expires", "expires"}}},
	}
	var out []string
	for _, t := range tables {
		name := p + t.name
		if d == MySQL {
			// MySQL has no CREATE INDEX IF NOT EXISTS: indexes go inline.
			// Keys are VARBINARY: byte-exact, where a _bin collation
			// still pads (MariaDB: 'alice' = 'alice ').
			cols := strings.ReplaceAll(t.cols, "VARCHAR(", "VARBINARY(")
			for _, ix := range t.idx {
				cols += ", KEY " + name + "_" + ix[0] + " (" + ix[1] + ")"
			}
			out = append(out, "CREATE TABLE IF NOT EXISTS "+name+" ("+cols+") CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
			continue
		}
		out = append(out, "CREATE TABLE IF NOT EXISTS "+name+" ("+t.cols+")")
		for _, ix := range t.idx {
			out = append(out, "CREATE INDEX IF NOT EXISTS "+name+"_"+ix[0]+" ON "+name+" ("+ix[1]+")")
		}
	}
	return out
}

type queries struct {
	famInsert, tokInsert, consume, tokState, famGet, famRevoke, subjRevoke string
	jtiUpsert, subjUpsert, revoked                                         string
	sessUpsert, sessLoad, sessDelete, sessDeleteUser                       string
	// onceInsert records a one-time value (a duplicate-key error when it is
	// recorded); onceTakeOver renews its record only while that has expired
	// (Store.UseOnce).
	onceInsert, onceTakeOver string
	// sweep: families, tokens, jti, subjects, sessions, once.
	sweep [6]string
}

const (
	sweepFamilies = iota
	sweepTokens
	sweepJTI
	sweepSubjects
	sweepSessions
	sweepOnce
)

func buildQueries(d Dialect, p string) queries {
	fam, tok, jti, subj, sess, once := p+tFamilies, p+tTokens, p+tJTI, p+tSubjects, p+tSessions, p+tOnce
	// upsert returns the conflict clause: on a conflict on key, apply sets
	// (none: keep the stored row).
	upsert := func(key string, sets ...string) string {
		set := strings.Join(sets, ", ")
		if d == MySQL {
			if set == "" {
				return " ON DUPLICATE KEY UPDATE " + key + " = " + key
			}
			return " ON DUPLICATE KEY UPDATE " + set
		}
		if set == "" {
			return " ON CONFLICT (" + key + ") DO NOTHING"
		}
		return " ON CONFLICT (" + key + ") DO UPDATE SET " + set
	}
	// excl is the value the INSERT proposed for col.
	excl := func(col string) string {
		if d == MySQL {
			return "VALUES(" + col + ")"
		}
		return "excluded." + col
	}
	greatest := func(a, b string) string {
		if d == SQLite {
			return "MAX(" + a + ", " + b + ")"
		}
		return "GREATEST(" + a + ", " + b + ")"
	}
	cur := func(table, col string) string {
		if d == Postgres {
			return table + "." + col
		}
		return col
	}
	q := queries{
		famInsert: "INSERT INTO " + fam + " (family, subject, data, expires, revoked) VALUES (?, ?, ?, ?, 0)" + upsert("family"),
		// The token is inserted only while its family is not revoked.
		tokInsert: "INSERT INTO " + tok + " (hash, family, used, expires) SELECT ?, family, 0, expires FROM " + fam +
			" WHERE family = ? AND revoked = 0",
		consume:    "UPDATE " + tok + " SET used = 1 WHERE hash = ? AND family = ? AND used = 0 AND expires > ?",
		tokState:   "SELECT used FROM " + tok + " WHERE hash = ? AND family = ? AND expires > ?",
		famGet:     "SELECT subject, data, expires, revoked FROM " + fam + " WHERE family = ? AND expires > ?",
		famRevoke:  "UPDATE " + fam + " SET revoked = 1 WHERE family = ?",
		subjRevoke: "UPDATE " + fam + " SET revoked = 1 WHERE subject = ? AND revoked = 0",
		jtiUpsert: "INSERT INTO " + jti + " (subject, jti, expires) VALUES (?, ?, ?)" +
			upsert("subject, jti", "expires = "+greatest(cur(jti, "expires"), excl("expires"))),
		subjUpsert: "INSERT INTO " + subj + " (subject, cutoff, expires) VALUES (?, ?, ?)" +
			upsert("subject", "cutoff = "+greatest(cur(subj, "cutoff"), excl("cutoff")), "expires = "+greatest(cur(subj, "expires"), excl("expires"))),
		revoked: "SELECT (SELECT COUNT(*) FROM " + jti + " WHERE subject = ? AND jti = ? AND expires > ?), " +
			"(SELECT cutoff FROM " + subj + " WHERE subject = ? AND expires > ?)",
		sessUpsert: "INSERT INTO " + sess + " (hash, user_id, data, expires) VALUES (?, ?, ?, ?)" +
			upsert("hash", "user_id = "+excl("user_id"), "data = "+excl("data"), "expires = "+excl("expires")),
		sessLoad:       "SELECT data FROM " + sess + " WHERE hash = ? AND expires > ?",
		sessDelete:     "DELETE FROM " + sess + " WHERE hash = ?",
		sessDeleteUser: "DELETE FROM " + sess + " WHERE user_id = ?",
	}
	q.onceInsert = "INSERT INTO " + once + " (id, expires) VALUES (?, ?)"
	q.onceTakeOver = "UPDATE " + once + " SET expires = ? WHERE id = ? AND expires <= ?"
	for i, t := range []string{fam, tok, jti, subj, sess, once} {
		q.sweep[i] = "DELETE FROM " + t + " WHERE expires <= ?"
	}
	for _, s := range []*string{&q.famInsert, &q.tokInsert, &q.consume, &q.tokState, &q.famGet, &q.famRevoke, &q.subjRevoke,
		&q.jtiUpsert, &q.subjUpsert, &q.revoked, &q.sessUpsert, &q.sessLoad, &q.sessDelete, &q.sessDeleteUser, &q.onceInsert, &q.onceTakeOver} {
		*s = rebind(d, *s)
	}
	for i := range q.sweep {
		q.sweep[i] = rebind(d, q.sweep[i])
	}
	return q
}
