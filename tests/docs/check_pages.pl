#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# Checks doc/ against the library: every exported SSLQ_ symbol and every
# SSLQ_ macro or inline function of the public header has a page, every page
# names something that exists, link pages point at group pages that list
# them, group pages carry the sections the project asks for, their SYNOPSIS
# repeats the header's prototypes exactly, and they name the OpenSSL
# function each SSLQ_ name stands for under sslquic-compat.
#
#   check_pages.pl DOC_DIR INCLUDE_DIR SYMBOL_FILE
#
# SYMBOL_FILE holds the exported SSLQ_ names, one a line.  Prints one line
# per problem and exits 1 if there was any.
use strict;
use warnings;

my ($doc, $inc, $symfile) = @ARGV;
die "usage: $0 DOC_DIR INCLUDE_DIR SYMBOL_FILE\n" unless defined $symfile;

my $fails = 0;
sub fail { print "FAIL: @_\n"; $fails++; }

sub slurp {
    my ($path) = @_;
    open(my $fh, '<', $path) or die "$path: $!\n";
    local $/;
    my $s = <$fh>;
    close($fh);
    return $s;
}

# ---- what the library and its headers define ---------------------------

my %exported;
for (split /\n/, slurp($symfile)) {
    s/\s+//g;
    $exported{$_} = 1 if /^SSLQ_/;
}
fail("no exported SSLQ_ symbols read from $symfile") unless %exported;

my $header = slurp("$inc/sslquic/sslquic.h") . "\n" .
             slurp("$inc/sslquic/version.h");
my %macro;     # function-like SSLQ_ macros
my %inline;    # static inline SSLQ_ functions
$macro{$1} = 1 while $header =~ /^\s*#\s*define\s+(SSLQ_\w+)\(/mg;
$inline{$1} = 1
    while $header =~ /static\s+ossl_inline[^;{]*?\b(SSLQ_\w+)\s*\(/sg;

# Normalised declarations: comments, preprocessor lines and attributes
# removed, whitespace collapsed.
sub normalise {
    my ($d) = @_;
    $d =~ s/\b(SSLQUIC_API|__owur|static|ossl_inline|ossl_unused)\b//g;
    $d =~ s/\s+/ /g;
    $d =~ s/\s*([(),*])\s*/$1/g;
    $d =~ s/^\s+|\s+$//g;
    return $d;
}

sub declarations {
    my ($text) = @_;
    my %decl;
    $text =~ s{/\*.*?\*/}{ }sg;
    $text =~ s/\\\n/ /g;
    $text =~ s/^\s*#.*$//mg;
    for my $chunk (split /[;{}]/, $text) {
        next unless $chunk =~ /\b(SSLQ_\w+)\s*\(/;
        $decl{$1} //= normalise($chunk);
    }
    return \%decl;
}
my $hdecl = declarations($header);

# OpenSSL name => SSLQ_ name, from the compat header.
my %openssl_name;
my $compat = slurp("$inc/sslquic/compat.h");
$compat =~ s/\\\n\s*/ /g;
while ($compat =~ /^\s*#\s*define\s+((?:SSL|OSSL)_\w+)\s+(SSLQ_\w+)\s*$/mg) {
    push @{$openssl_name{$2}}, $1;
}

# ---- the pages ---------------------------------------------------------

opendir(my $dh, $doc) or die "$doc: $!\n";
my @pages = sort grep { /\.[37]$/ } readdir($dh);
closedir($dh);

my (%link, %group);    # name => target group / name => page text
for my $p (@pages) {
    my $text = slurp("$doc/$p");
    (my $name = $p) =~ s/\.[37]$//;
    fail("$p: first line is not the SPDX comment")
        unless $text =~ /\A\.\\" SPDX-License-Identifier: Apache-2\.0\n/;
    my @lines = grep { !/^\.\\"/ } split /\n/, $text;
    if (@lines && $lines[0] =~ /^\.so\s+(\S+)$/) {
        my $target = $1;
        fail("$p: a link page must hold nothing but its .so line")
            if @lines != 1;
        if ($p =~ /\.3$/ && $target =~ m{^man3/(SSLQ_\w+)\.3$}) {
            $link{$name} = $1;
        } else {
            fail("$p: .so target '$target' is not man3/SSLQ_<name>.3");
        }
        next;
    }
    $group{$name} = $text;
}

sub section {
    my ($text, $title) = @_;
    return $text =~ /^\.SH\s+"?\Q$title\E"?\n(.*?)(?=^\.SH|\z)/ms ? $1 : undef;
}

sub names_of {
    my ($text) = @_;
    my $s = section($text, 'NAME') // '';
    $s =~ s/\\-.*//s;
    return grep { length } map { s/\s+//gr } split /,/, $s;
}

my %documented_in;    # every name a group page lists => that page
for my $g (sort keys %group) {
    my $text = $group{$g};
    my $is3 = -e "$doc/$g.3" && !exists $link{$g};
    next unless $is3;
    fail("$g.3: .TH does not name the page")
        unless $text =~ /^\.TH\s+\Q${\ uc $g}\E\s+3\s/m;
    for my $s ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'RETURN VALUES', 'ERRORS',
               'EXAMPLES', 'NOTES', 'SEE ALSO') {
        fail("$g.3: no $s section") unless defined section($text, $s);
    }
    my @names = names_of($text);
    fail("$g.3: NAME does not start with $g")
        unless @names && $names[0] eq $g;
    for my $n (@names) {
        fail("$g.3: NAME lists $n, also listed by $documented_in{$n}.3")
            if exists $documented_in{$n};
        $documented_in{$n} = $g;
        fail("$g.3: NAME lists $n but doc/$n.3 does not exist")
            unless exists $group{$n} || exists $link{$n};
    }
}

for my $l (sort keys %link) {
    my $t = $link{$l};
    if (!exists $group{$t}) {
        fail("$l.3: links to $t.3, which is not a page with content");
    } elsif (($documented_in{$l} // '') ne $t) {
        fail("$l.3: links to $t.3, whose NAME section does not list $l");
    }
}

# ---- symbols against pages -----------------------------------------------

my %known = (%exported, %macro, %inline);
for my $s (sort keys %exported) {
    fail("no page for exported symbol $s (add doc/$s.3)")
        unless exists $documented_in{$s} && -e "$doc/$s.3";
}
for my $s (sort(keys %macro), sort(keys %inline)) {
    fail("no page for header macro/inline $s (add doc/$s.3)")
        unless exists $documented_in{$s} && -e "$doc/$s.3";
}
for my $p (@pages) {
    next unless $p =~ /\.3$/;
    (my $name = $p) =~ s/\.3$//;
    fail("$p: names $name, which is neither exported by the library nor a "
         . "macro or inline function of sslquic.h") unless exists $known{$name};
}

# SYNOPSIS repeats each exported function's prototype as the header has
# it, and the page names the OpenSSL function the compat header maps.
for my $s (sort keys %exported) {
    my $g = $documented_in{$s} // next;
    my $syn = section($group{$g}, 'SYNOPSIS') // '';
    my ($in, @code) = (0);
    for (split /\n/, $syn) {
        $in = 1, next if /^\.nf/;
        $in = 0, next if /^\.fi/;
        push @code, $_ if $in && !/^[.#]/;
    }
    my $code = join "\n", @code;
    $code =~ s/\\e/\\/g;
    $code =~ s/\\-/-/g;
    my $pdecl = declarations($code);
    if (!exists $hdecl->{$s}) {
        fail("$s: exported but not declared in the public headers");
    } elsif (!exists $pdecl->{$s}) {
        fail("$g.3: SYNOPSIS has no prototype for $s");
    } elsif ($pdecl->{$s} ne $hdecl->{$s}) {
        fail("$g.3: SYNOPSIS prototype of $s differs from the header:\n"
             . "    page:   $pdecl->{$s}\n    header: $hdecl->{$s}");
    }
}
for my $s (sort keys %known) {
    my $g = $documented_in{$s} // next;
    for my $o (@{$openssl_name{$s} // []}) {
        fail("$g.3: does not say that $s stands for $o under sslquic-compat")
            unless $group{$g} =~ /\b\Q$o\E\b/;
    }
}

printf "checked %d pages (%d with content, %d links): %d exported symbols, "
    . "%d header macros/inlines\n", scalar(@pages), scalar(keys %group),
    scalar(keys %link), scalar(keys %exported),
    scalar(keys %macro) + scalar(keys %inline);
exit($fails ? 1 : 0);
