package jobs_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/jobs"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/pgsql"
	"github.com/riverqueue/river"
)

// WelcomeArgs is a job: its JSON fields are the arguments, Kind names it.
type WelcomeArgs struct {
	UserID int64 `json:"user_id"`
}

// Kind names the job kind in the database.
func (WelcomeArgs) Kind() string { return "welcome_email" }

// Example: a signup writes the user and enqueues the welcome mail in the
// same transaction, so the mail goes out if and only if the user exists.
// (It needs a PostgreSQL server, so it is compiled but not run here.)
func Example() {
	dsn := os.Getenv("DATABASE_URL") // postgres://...
	app := covet.New()
	if err := app.Install(orm.New(orm.WithDriver(pgsql.Driver()), orm.WithDSN(dsn))); err != nil {
		log.Fatal(err)
	}
	jp := jobs.New(jobs.WithDSN(dsn), jobs.WithQueue(river.QueueDefault, 20),
		jobs.WithView("/ops/jobs" /* , auth middleware */))
	jobs.RegisterFunc(jp, func(ctx context.Context, j *river.Job[WelcomeArgs]) error {
		log.Printf("welcome mail to user %d (attempt %d)", j.Args.UserID, j.Attempt)
		return nil // an error retries with exponential backoff
	})
	if err := app.Install(jp); err != nil {
		log.Fatal(err)
	}
	app.POST("/signup", func(c *covet.Context) error {
		db, err := orm.DB(c) // the request's transaction
		if err != nil {
			return err
		}
		var id int64
		err = db.QueryRowContext(c.Context(), "INSERT INTO users DEFAULT VALUES RETURNING id").Scan(&id)
		if err != nil {
			return err
		}
		// In the request's transaction: rolled back with it.
		_, err = jp.EnqueueTx(c.Context(), db, WelcomeArgs{UserID: id}, &river.InsertOpts{
			ScheduledAt: time.Now().Add(time.Minute),    // scheduled
			UniqueOpts:  river.UniqueOpts{ByArgs: true}, // unique
			Priority:    2,
		})
		if err != nil {
			return err
		}
		return c.NoContent(http.StatusCreated)
	}, orm.Transactional())
	if err := app.Run("127.0.0.1:8080"); err != nil {
		log.Fatal(err)
	}
}
