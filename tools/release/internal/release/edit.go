package release

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/mod/semver"
)

// editVersions applies f to the module's mapping node in root/versions.yaml
// and writes the file back, keeping its comments.
func editVersions(root, dir string, f func(entry *yaml.Node) error) error {
	file := filepath.Join(root, VersionsFile)
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("release: %s: %w", VersionsFile, err)
	}
	if len(doc.Content) == 0 {
		return fmt.Errorf("release: %s is empty", VersionsFile)
	}
	modules := mapValue(doc.Content[0], "modules")
	if modules == nil {
		return fmt.Errorf("release: %s has no modules mapping", VersionsFile)
	}
	entry := mapValue(modules, dir)
	if entry == nil {
		entry = &yaml.Node{Kind: yaml.MappingNode}
		modules.Content = append(modules.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: dir}, entry)
	}
	if err := f(entry); err != nil {
		return err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if _, err := ParseVersions(out.Bytes()); err != nil {
		return err
	}
	return os.WriteFile(file, out.Bytes(), 0o644)
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setScalar(m *yaml.Node, key, value string) {
	if v := mapValue(m, key); v != nil {
		v.Kind, v.Value, v.Tag = yaml.ScalarNode, value, "!!str"
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

// SetVersion sets a module's current version in the versions file and, if
// the module's root package declares a Version constant, updates it too.
func SetVersion(r *Repo, dir, version string) error {
	if !isCanonical(version) {
		return fmt.Errorf("release: %q is not a canonical semantic version such as v0.2.0", version)
	}
	m := r.Module(dir)
	if m == nil {
		return fmt.Errorf("release: no module in %s", dir)
	}
	err := editVersions(r.Root, dir, func(e *yaml.Node) error {
		setScalar(e, "version", version)
		return nil
	})
	if err != nil {
		return err
	}
	_, file, err := VersionConst(r.Root, m)
	if err == ErrNoVersionConst {
		return nil
	}
	if err != nil {
		return err
	}
	p := filepath.Join(r.Root, filepath.FromSlash(file))
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	re := regexp.MustCompile(`(?m)^(\s*(?:const\s+)?Version\s*=\s*)"[^"]*"`)
	nb := re.ReplaceAll(b, []byte(`${1}"`+strings.TrimPrefix(version, "v")+`"`))
	return os.WriteFile(p, nb, 0o644)
}

// RecordRelease records that the module's current version was released at
// commit, in the versions file. A version already recorded may be recorded
// again (moved to another commit) as long as it is not tagged: until its tag
// is pushed, nothing was published.
func RecordRelease(r *Repo, v *Versions, dir, commit string) error {
	e := v.Modules[dir]
	if e == nil {
		return fmt.Errorf("release: %s has no entry in %s", dir, VersionsFile)
	}
	if !HasCommit(r.Root, commit) {
		return fmt.Errorf("release: no commit %s", commit)
	}
	full, err := git(r.Root, "rev-parse", commit+"^{commit}")
	if err != nil {
		return err
	}
	for rv := range e.Released {
		if rv == e.Version {
			if at, tagged := TagCommit(r.Root, TagName(dir, rv)); tagged {
				return fmt.Errorf("release: %s %s is tagged (at %s): a published release never moves; set a new version first", dir, rv, short(at))
			}
			continue
		}
		if semver.Compare(rv, e.Version) > 0 {
			return fmt.Errorf("release: %s %s is older than its release %s: set a new version first", dir, e.Version, rv)
		}
	}
	return editVersions(r.Root, dir, func(n *yaml.Node) error {
		rel := mapValue(n, "released")
		if rel == nil {
			rel = &yaml.Node{Kind: yaml.MappingNode}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "released"}, rel)
		}
		setScalar(rel, e.Version, strings.TrimSpace(string(full)))
		return nil
	})
}
