package bench

// Version is the version of the contrib/bench module.
const Version = "0.1.0"
