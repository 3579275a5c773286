package authsql_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkRevoked is the per-request revocation check on each dialect
// (one SELECT; the server is local).
func BenchmarkRevoked(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			s, _ := newStore(b, d.open)
			ctx := context.Background()
			rev := s.Revocation()
			if err := rev.RevokeSubject(ctx, "al", time.Now().Add(-time.Hour)); err != nil {
				b.Fatal(err)
			}
			iat := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := rev.Revoked(ctx, "jti-1", "al", iat); err != nil || ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
