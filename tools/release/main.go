// Command release checks and prepares releases of the Covet repository's
// modules, each versioned on its own (tags core/vX.Y.Z, plugins/orm/vX.Y.Z).
// Run it from anywhere in the repository:
//
//	go run ./tools/release check          # versions file, hygiene, released files unchanged, API guard
//	go run ./tools/release tags           # git tag commands for versions not tagged yet
//	go run ./tools/release proxy DIR      # build the file-system module proxy into DIR
//	go run ./tools/release set DIR vX.Y.Z # set a module's version (versions.yaml and its Version constant)
//	go run ./tools/release record DIR [COMMIT] # record DIR's current version as released at COMMIT (HEAD)
//	go run ./tools/release size BIN [TOP] # where an executable's bytes go: sections and symbols per package group
//
// The same checks, plus the offline consumer test and every module's tests
// run alone (GOWORK=off, replace directives dropped, against the proxy), are
// the tests of this module, run by scripts/test.sh. See README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/covetgo/covet/tools/release/internal/release"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = `usage: release check | tags | proxy DIR | set DIR VERSION | record DIR [COMMIT] | size BIN [TOP]`

var errProblems = errors.New("release: problems found")

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	if args[0] == "size" {
		return sizeCommand(args[1:], out)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := release.FindRoot(wd)
	if err != nil {
		return err
	}
	repo, err := release.Discover(root)
	if err != nil {
		return err
	}
	vers, err := release.LoadVersions(root)
	if err != nil {
		return err
	}
	switch args[0] {
	case "check":
		problems := append(release.CheckCompleteness(repo, vers), release.CheckHygiene(repo, vers)...)
		unchanged, err := release.CheckReleasedUnchanged(repo, vers)
		if err != nil {
			return err
		}
		problems = append(problems, unchanged...)
		g := &release.Guard{Root: root, Work: release.SharedWorkDir("trees")}
		for _, m := range repo.Modules {
			c, err := g.Check(m, release.EntryFor(vers, m.Dir))
			if err != nil {
				return err
			}
			if c == nil {
				continue
			}
			if p := c.Problem(); p != nil {
				problems = append(problems, *p)
			}
			fmt.Fprintf(out, "api %s: %s -> %s: %d incompatible, %d compatible changes\n", m.Dir, c.Base, c.Version, len(c.Incompatible), len(c.Compatible))
		}
		for _, p := range problems {
			fmt.Fprintln(out, "FAIL", p)
		}
		if len(problems) > 0 {
			return errProblems
		}
		fmt.Fprintf(out, "ok: %d modules\n", len(repo.Modules))
		return nil
	case "tags":
		cmds, problems := release.TagCommands(repo, vers)
		for _, c := range cmds {
			fmt.Fprintln(out, c)
		}
		for _, p := range problems {
			fmt.Fprintln(out, "FAIL", p)
		}
		if len(problems) > 0 {
			return errProblems
		}
		return nil
	case "proxy":
		if len(args) != 2 {
			return errors.New(usage)
		}
		dir, err := filepath.Abs(args[1])
		if err != nil {
			return err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		p, err := release.BuildProxy(repo, vers, dir)
		if err != nil {
			return err
		}
		for _, mv := range p.Versions {
			from := "work tree"
			if mv.Commit != "" {
				from = mv.Commit
			}
			fmt.Fprintf(out, "%s %s (%s)\n", mv.Path, mv.Version, from)
		}
		fmt.Fprintf(out, "use: GOWORK=off GOFLAGS=-mod=mod GOPROXY=%s,https://proxy.golang.org GONOSUMDB=%s\n", p.URL(), release.RepoModulePath)
		return nil
	case "set":
		if len(args) != 3 {
			return errors.New(usage)
		}
		return release.SetVersion(repo, args[1], args[2])
	case "record":
		if len(args) != 2 && len(args) != 3 {
			return errors.New(usage)
		}
		commit := "HEAD"
		if len(args) == 3 {
			commit = args[2]
		}
		return release.RecordRelease(repo, vers, args[1], commit)
	}
	return errors.New(usage)
}

// sizeCommand prints where the bytes of the executable args[0] go (the top
// args[1] package groups, 25 by default; 0 for all).
func sizeCommand(args []string, out io.Writer) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: release size BIN [TOP]")
	}
	top := 25
	if len(args) == 2 {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return fmt.Errorf("release size: TOP: %w", err)
		}
		top = n
	}
	bs, err := release.MeasureBinary(args[0])
	if err != nil {
		return err
	}
	release.WriteBinarySize(out, bs, top)
	return nil
}
