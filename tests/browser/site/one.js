// SPDX-License-Identifier: Apache-2.0
// The first script.  The test puts about 256 KiB of comments in place of the
// line below, so only a body that arrived whole sets the global.
// @PADDING@
window.sslqOne = 'one';
