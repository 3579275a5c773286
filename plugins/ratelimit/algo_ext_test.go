package ratelimit_test

import (
	"testing"

	"github.com/covetgo/covet/plugins/ratelimit/internal/seqtest"
)

func TestAlgorithmsMemory(t *testing.T) {
	for _, seq := range seqtest.Sequences {
		t.Run(seq.Name, func(t *testing.T) {
			b, setNow := seqtest.Memory()
			seqtest.Run(t, b, setNow, seq, "")
		})
	}
}
