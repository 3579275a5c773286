package orm

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/covetgo/covet/core/command"
)

// Commands offers the "migrate" command to covet.App.Main, so that
// `go run . migrate up|down|status|create NAME` (and `covet migrate ...`)
// runs the migrations given to the primary database with WithMigrations.
// It opens the primary database for the command only, without starting the
// plugin (WithMigrateOnStart does not apply), and closes it after. create
// needs no database.
func (p *Plugin) Commands() []command.Command {
	return []command.Command{{
		Name:    "migrate",
		Usage:   "up|down|status|create NAME [--dir D]",
		Summary: "apply, roll back, list or create database migrations",
		Run:     p.migrateCommand,
	}}
}

var _ command.Commander = (*Plugin)(nil)

func (p *Plugin) migrateCommand(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] == "create" {
		none, _ := NewMigrations(nil)
		return RunMigrateCommand(ctx, nil, none, args, WithOutput(out))
	}
	d := p.primary
	if d == nil {
		return errors.New("orm: migrate: the plugin is not installed in an app")
	}
	if d.cfg.migrations == nil {
		return fmt.Errorf("orm: migrate: database %q has no migrations (use orm.WithMigrations)", d.name)
	}
	if err := d.open(); err != nil {
		return fmt.Errorf("orm: migrate: database %q: %w", d.name, err)
	}
	defer d.close()
	if err := p.connect(ctx, d); err != nil {
		return err
	}
	return RunMigrateCommand(ctx, d.Bun(), d.cfg.migrations, args, WithOutput(out))
}
