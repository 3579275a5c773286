package covet

// Version is this module's version, without the leading "v". It always
// equals core's entry in the repository's versions.yaml; the release
// checks in tools/release fail when the two differ.
const Version = "0.2.0"
