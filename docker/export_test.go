package docker

// RepoName exposes repoName to the package's external tests: the mapping
// from AMI names to repository names is the backend's own business.
var RepoName = repoName
