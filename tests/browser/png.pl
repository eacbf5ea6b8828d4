#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# Writes an RGB PNG to stdout: png.pl noise|gradient WIDTH HEIGHT.  Noise
# barely compresses, so a 256x256 one is a ~190 KiB image that takes many
# QUIC packets to deliver; the gradient is a small one.
use strict;
use warnings;
use Compress::Zlib qw(compress crc32);

my ($kind, $w, $h) = @ARGV;
die "usage: png.pl noise|gradient WIDTH HEIGHT\n"
    unless defined $h && $kind =~ /^(noise|gradient)$/;

my $raw = '';
for my $y (0 .. $h - 1) {
    $raw .= "\0";    # filter type None for this scanline
    for my $x (0 .. $w - 1) {
        if ($kind eq 'noise') {
            $raw .= pack('C3', int(rand(256)), int(rand(256)), int(rand(256)));
        } else {
            $raw .= pack('C3', $x * 255 / $w, $y * 255 / $h, 128);
        }
    }
}

sub chunk {
    my ($type, $data) = @_;
    return pack('N', length $data) . $type . $data
        . pack('N', crc32($type . $data));
}

binmode STDOUT;
print "\x89PNG\r\n\x1a\n",
    chunk('IHDR', pack('NNCCCCC', $w, $h, 8, 2, 0, 0, 0)),
    chunk('IDAT', compress($raw)),
    chunk('IEND', '');
