package bench

// Version is the version of the tools/bench module.
const Version = "0.1.0"
