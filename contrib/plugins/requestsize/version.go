package requestsize

// Version is this module's version, without the leading "v"; it equals the
// module's entry in the repository's versions.yaml.
const Version = "0.2.0"
