package jobstest_test

import (
	"context"
	"fmt"

	"github.com/covetgo/covet/plugins/jobs/jobstest"
	"github.com/riverqueue/river"
)

type ResizeArgs struct {
	Path  string `json:"path"`
	Width int    `json:"width"`
}

func (ResizeArgs) Kind() string { return "resize" }

// ExampleRun works a job synchronously in a unit test, without a database.
func ExampleRun() {
	w := river.WorkFunc(func(ctx context.Context, j *river.Job[ResizeArgs]) error {
		fmt.Printf("resize %s to %dpx (attempt %d)\n", j.Args.Path, j.Args.Width, j.Attempt)
		return nil
	})
	err := jobstest.Run(context.Background(), w, ResizeArgs{Path: "a.png", Width: 64})
	fmt.Println("error:", err)
	// Output:
	// resize a.png to 64px (attempt 1)
	// error: <nil>
}
