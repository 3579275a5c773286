// Package release holds the checks and builders behind the release tool of
// the Covet repository: the versions file (versions.yaml), module discovery
// from go.work and the directory tree, module hygiene, a file-system module
// proxy built from the working tree and from git history, the API guard on
// golang.org/x/exp/apidiff, and the tag commands. The command in the parent
// directory and its tests drive it.
package release
