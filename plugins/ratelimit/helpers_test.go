package ratelimit

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// quietRedisLog drops go-redis's own log lines (dial failures the fault
// tests cause on purpose).
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quietRedisLog{})
	os.Exit(m.Run())
}
