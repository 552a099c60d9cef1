// Package layers holds the test that keeps the packages of both modules in their layers,
// from what go list says each one imports (its tests' imports included):
//
//  0. internal/..., gen/..., interrupt, sharedtest and imagetest: the base, importing
//     none of the project's packages above it;
//  1. gmm/...: the mixtures, with no image package among all they depend on;
//  2. segment/...: the image application, on top of the library;
//  3. cmd/... and tools/...: the commands;
//  4. beam/..., its own module, which imports only exported packages of the root module
//     (no path with an internal element), so that it builds against a published version.
//
// No package imports one of a higher layer, and a package in no layer fails the test
// until it is given one. The package has no code of its own.
package layers
