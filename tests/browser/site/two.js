// SPDX-License-Identifier: Apache-2.0
window.sslqTwo = window.sslqOne + '+two';
