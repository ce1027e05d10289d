"""`make release`: the files a release ships, in dist/, reproducibly."""
