/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto.c against the published vectors (RFC 9001 Appendix A, RFC 9369
 * Appendix A, RFC 8448 §3), byte for byte, then round trips, tampering and
 * bad input.  Buffers for the bad-input cases are heap blocks of the exact
 * size, so an out-of-bounds read is an ASan failure, not luck.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "error.h"

/* ---- helpers ------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes |hex| into |out| and returns its length; a malformed vector or
 * one larger than |cap| fails the test. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t len = strlen(hex), i;

    assert_int_equal(len % 2, 0);
    assert_true(len / 2 <= cap);
    for (i = 0; i < len / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

        assert_true(hi >= 0 && lo >= 0);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return len / 2;
}

static void assert_hex_equal(const uint8_t *got, size_t gotlen, const char *hex)
{
    uint8_t want[2048];
    size_t n = unhex(hex, want, sizeof(want));

    assert_int_equal(gotlen, n);
    assert_memory_equal(got, want, n);
}

/* ---- the published vectors ---------------------------------------------- */

#define RFC_DCID "8394c8f03e515708"
#define RFC_RETRY_ODCID RFC_DCID
#define RFC_CLIENT_PN 2
#define RFC_CLIENT_PAYLOAD_LEN 1162
#define RFC_SERVER_PN 1
#define RFC_A5_SECRET                                                          \
    "9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b"
#define RFC_A5_PN 654360564
#define RFC_A5_HEADER "4200bff4"
#define RFC_A5_PAYLOAD "01"

/* The client's CRYPTO frame (a ClientHello); PADDING fills the rest of the
 * 1162-byte payload.  Identical in RFC 9001 A.2 and RFC 9369 A.2. */
static const char rfc_client_crypto_frame[] =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

/* The server's ACK + CRYPTO (ServerHello) payload of A.3 in both RFCs. */
static const char rfc_server_payload[] =
    "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739"
    "88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94"
    "0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
    "020304";

typedef struct rfc_vectors {
    uint32_t version;
    const char *initial_secret;
    const char *client_secret, *client_key, *client_iv, *client_hp;
    const char *server_secret, *server_key, *server_iv, *server_hp;
    const char *client_header, *client_sample, *client_mask, *client_packet;
    const char *server_header, *server_packet;
    const char *retry; /* the Retry packet, its integrity tag last */
    const char *a5_key, *a5_iv, *a5_hp, *a5_ku, *a5_nonce, *a5_sample, *a5_mask,
        *a5_packet;
} rfc_vectors;

static const rfc_vectors rfc9001 = {
    .version = SSLQ_VERSION_V1,
    .initial_secret =
        "7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44",
    .client_secret =
        "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
    .client_key = "1f369613dd76d5467730efcbe3b1a22d",
    .client_iv = "fa044b2f42a3fd3b46fb255c",
    .client_hp = "9f50449e04a0e810283a1e9933adedd2",
    .server_secret =
        "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
    .server_key = "cf3a5331653c364c88f0f379b6067e37",
    .server_iv = "0ac1493ca1905853b0bba03e",
    .server_hp = "c206b8d9b9f0f37644430b490eeaa314",
    .client_header = "c300000001088394c8f03e5157080000449e00000002",
    .client_sample = "d1b1c98dd7689fb8ec11d242b123dc9b",
    .client_mask = "437b9aec36",
    .client_packet =
        "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
        "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
        "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
        "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
        "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
        "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
        "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
        "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
        "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
        "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
        "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
        "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
        "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
        "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
        "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
        "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
        "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
        "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
        "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
        "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
        "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
        "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
        "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
        "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
        "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
        "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
        "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
        "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
        "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
        "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
        "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
        "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
        "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
        "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
        "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
        "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
        "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
        "e221af44860018ab0856972e194cd934",
    .server_header = "c1000000010008f067a5502a4262b50040750001",
    .server_packet =
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a"
        "5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3"
        "dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
        "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4"
        "2158407dd074ee",
    .retry = "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f"
             "0f2496ba",
    .a5_key =
        "c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8",
    .a5_iv = "e0459b3474bdd0e44a41c144",
    .a5_hp = "25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4",
    .a5_ku = "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9",
    .a5_nonce = "e0459b3474bdd0e46d417eb0",
    .a5_sample = "5e5cd55c41f69080575d7999c25a5bfb",
    .a5_mask = "aefefe7d03",
    .a5_packet = "4cfe4189655e5cd55c41f69080575d7999c25a5bfb",
};

static const rfc_vectors rfc9369 = {
    .version = SSLQ_VERSION_V2,
    .initial_secret =
        "2062e8b3cd8d52092614b8071d0aa1fb7c2e3ac193f78b280e72d8f5751f6aba",
    .client_secret =
        "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
    .client_key = "8b1a0bc121284290a29e0971b5cd045d",
    .client_iv = "91f73e2351d8fa91660e909f",
    .client_hp = "45b95e15235d6f45a6b19cbcb0294ba9",
    .server_secret =
        "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
    .server_key = "82db637861d55e1d011f19ea71d5d2a7",
    .server_iv = "dd13c276499c0249d3310652",
    .server_hp = "edf6d05c83121201b436e16877593c3a",
    .client_header = "d36b3343cf088394c8f03e5157080000449e00000002",
    .client_sample = "ffe67b6abcdb4298b485dd04de806071",
    .client_mask = "94a0c95e80",
    .client_packet =
        "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485"
        "dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04"
        "9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
        "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a"
        "12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500"
        "cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
        "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33"
        "12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3"
        "d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
        "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520"
        "bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045"
        "636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
        "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12"
        "16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5"
        "4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
        "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b"
        "8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7"
        "14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
        "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91"
        "abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd"
        "80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
        "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18"
        "d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15"
        "c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
        "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61"
        "f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710"
        "10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
        "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e"
        "06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce"
        "8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
        "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1"
        "e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd"
        "5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
        "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89"
        "d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53"
        "6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
        "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b"
        "a18b2faa745b6fe189cf772a9f84cbfc",
    .server_header = "d16b3343cf0008f067a5502a4262b50040750001",
    .server_packet =
        "dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698"
        "baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17"
        "f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2"
        "c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8"
        "4bed8521e2e140",
    .retry = "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d9555436"
             "65dcc7b6",
    .a5_key =
        "3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2",
    .a5_iv = "a6b5bc6ab7dafce30ffff5dd",
    .a5_hp = "d659760d2ba434a226fd37b35c69e2da8211d10c4f12538787d65645d5d1b8e2",
    .a5_ku = "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88",
    .a5_nonce = "a6b5bc6ab7dafce328ff4a29",
    .a5_sample = "e7b6b932bc27d786f4bc2bb20f2162ba",
    .a5_mask = "97580e32bf",
    .a5_packet = "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba",
};

/* ---- keys for one direction, in both roles ------------------------------ */

typedef struct direction {
    const sslq_suite *suite;
    sslq_packet_keys keys;
    EVP_CIPHER_CTX *seal, *open, *hp;
} direction;

static void direction_from_secret(direction *d, const sslq_suite *suite,
                                  uint32_t version, const uint8_t *secret,
                                  size_t secretlen)
{
    memset(d, 0, sizeof(*d));
    d->suite = suite;
    assert_int_equal(
        sslq_derive_packet_keys(suite, version, secret, secretlen, &d->keys),
        0);
    d->seal = sslq_aead_ctx_new(suite, d->keys.key, 1);
    d->open = sslq_aead_ctx_new(suite, d->keys.key, 0);
    d->hp = sslq_hp_ctx_new(suite, d->keys.hp);
    assert_non_null(d->seal);
    assert_non_null(d->open);
    assert_non_null(d->hp);
}

static void direction_free(direction *d)
{
    EVP_CIPHER_CTX_free(d->seal);
    EVP_CIPHER_CTX_free(d->open);
    EVP_CIPHER_CTX_free(d->hp);
}

/* The client (|client| = 1) or server Initial direction for the RFC DCID. */
static void direction_initial(direction *d, uint32_t version, int client)
{
    uint8_t dcid[8], cs[SSLQ_INITIAL_SECRET_LEN], ss[SSLQ_INITIAL_SECRET_LEN];

    unhex(RFC_DCID, dcid, sizeof(dcid));
    assert_int_equal(sslq_initial_secrets(version, dcid, sizeof(dcid), cs, ss),
                     0);
    direction_from_secret(d, sslq_suite_initial(), version, client ? cs : ss,
                          SSLQ_INITIAL_SECRET_LEN);
}

/* ---- RFC vectors -------------------------------------------------------- */

static void test_initial_secrets_and_keys_match_rfc(void **state)
{
    const rfc_vectors *v = *state;
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t dcid[8], initial[32], cs[32], ss[32];
    direction client, server;

    unhex(RFC_DCID, dcid, sizeof(dcid));
    assert_int_equal(sslq_initial_secrets(v->version, dcid, 8, cs, ss), 0);
    assert_hex_equal(cs, 32, v->client_secret);
    assert_hex_equal(ss, 32, v->server_secret);

    /* The intermediate secret through sslq_hkdf_extract directly: the salt
     * is the version's, and this also pins HKDF-Extract itself. */
    {
        uint8_t salt[20];

        unhex(v->version == SSLQ_VERSION_V1
                  ? "38762cf7f55934b34d179ae6a4c80cadccbb7f0a"
                  : "0dede3def700a6db819381be6e269dcbf9bd2ed9",
              salt, sizeof(salt));
        assert_int_equal(
            sslq_hkdf_extract(suite->md, salt, 20, dcid, 8, initial), 0);
        assert_hex_equal(initial, 32, v->initial_secret);
    }

    direction_initial(&client, v->version, 1);
    direction_initial(&server, v->version, 0);
    assert_int_equal(client.keys.keylen, 16);
    assert_hex_equal(client.keys.key, 16, v->client_key);
    assert_hex_equal(client.keys.iv, 12, v->client_iv);
    assert_hex_equal(client.keys.hp, 16, v->client_hp);
    assert_hex_equal(server.keys.key, 16, v->server_key);
    assert_hex_equal(server.keys.iv, 12, v->server_iv);
    assert_hex_equal(server.keys.hp, 16, v->server_hp);
    direction_free(&client);
    direction_free(&server);
}

/* Builds the RFC's unprotected client Initial: header, CRYPTO frame, then
 * PADDING (zeros) up to a 1162-byte payload, room for the tag after it. */
static size_t client_initial_plain(const rfc_vectors *v, uint8_t *pkt,
                                   size_t cap, size_t *hdrlen)
{
    size_t n = unhex(v->client_header, pkt, cap);

    assert_true(n + RFC_CLIENT_PAYLOAD_LEN + SSLQ_TAG_LEN <= cap);
    memset(pkt + n, 0, RFC_CLIENT_PAYLOAD_LEN + SSLQ_TAG_LEN);
    unhex(rfc_client_crypto_frame, pkt + n, RFC_CLIENT_PAYLOAD_LEN);
    *hdrlen = n;
    return n + RFC_CLIENT_PAYLOAD_LEN;
}

static void test_client_initial_protects_to_rfc_bytes(void **state)
{
    const rfc_vectors *v = *state;
    uint8_t pkt[1200], plain[1200], mask[SSLQ_HP_MASK_LEN], sample[16];
    size_t hdrlen, hl, payloadlen;
    direction client, server;
    uint64_t pn;

    client_initial_plain(v, pkt, sizeof(pkt), &hdrlen);
    memcpy(plain, pkt, sizeof(plain));
    direction_initial(&client, v->version, 1);

    unhex(v->client_sample, sample, sizeof(sample));
    assert_int_equal(sslq_hp_mask(client.hp, mask, sample), 0);
    assert_hex_equal(mask, sizeof(mask), v->client_mask);

    assert_int_equal(sslq_packet_protect(client.seal, client.keys.iv, client.hp,
                                         pkt, hdrlen, RFC_CLIENT_PN,
                                         RFC_CLIENT_PAYLOAD_LEN),
                     0);
    assert_hex_equal(pkt, sizeof(pkt), v->client_packet);

    /* The server opens it with the same secret, derived on its side. */
    direction_initial(&server, v->version, 1);
    assert_int_equal(sslq_packet_unprotect(
                         server.open, server.keys.iv, server.hp, pkt,
                         sizeof(pkt), hdrlen - 4, -1, &pn, &hl, &payloadlen),
                     0);
    assert_int_equal(pn, RFC_CLIENT_PN);
    assert_int_equal(hl, hdrlen);
    assert_int_equal(payloadlen, RFC_CLIENT_PAYLOAD_LEN);
    assert_memory_equal(pkt, plain, hdrlen + RFC_CLIENT_PAYLOAD_LEN);
    direction_free(&client);
    direction_free(&server);
}

static void test_server_initial_protects_to_rfc_bytes(void **state)
{
    const rfc_vectors *v = *state;
    uint8_t pkt[256], plain[256];
    size_t hdrlen, payloadlen, pktlen, hl, pl;
    direction server;
    uint64_t pn;

    hdrlen = unhex(v->server_header, pkt, sizeof(pkt));
    payloadlen = unhex(rfc_server_payload, pkt + hdrlen, sizeof(pkt) - hdrlen);
    pktlen = hdrlen + payloadlen + SSLQ_TAG_LEN;
    memcpy(plain, pkt, hdrlen + payloadlen);
    direction_initial(&server, v->version, 0);
    assert_int_equal(sslq_packet_protect(server.seal, server.keys.iv, server.hp,
                                         pkt, hdrlen, RFC_SERVER_PN,
                                         payloadlen),
                     0);
    assert_hex_equal(pkt, pktlen, v->server_packet);

    assert_int_equal(sslq_packet_unprotect(server.open, server.keys.iv,
                                           server.hp, pkt, pktlen, hdrlen - 2,
                                           -1, &pn, &hl, &pl),
                     0);
    assert_int_equal(pn, RFC_SERVER_PN);
    assert_int_equal(hl, hdrlen);
    assert_int_equal(pl, payloadlen);
    assert_memory_equal(pkt, plain, hdrlen + payloadlen);
    direction_free(&server);
}

static void test_retry_tag_matches_rfc(void **state)
{
    const rfc_vectors *v = *state;
    uint8_t retry[64], odcid[8], tag[SSLQ_TAG_LEN];
    size_t n = unhex(v->retry, retry, sizeof(retry));

    unhex(RFC_RETRY_ODCID, odcid, sizeof(odcid));
    assert_int_equal(sslq_retry_tag(v->version, odcid, sizeof(odcid), retry,
                                    n - SSLQ_TAG_LEN, tag),
                     0);
    assert_memory_equal(tag, retry + n - SSLQ_TAG_LEN, SSLQ_TAG_LEN);

    /* Another original DCID is another pseudo-packet. */
    odcid[0] ^= 1;
    assert_int_equal(sslq_retry_tag(v->version, odcid, sizeof(odcid), retry,
                                    n - SSLQ_TAG_LEN, tag),
                     0);
    assert_memory_not_equal(tag, retry + n - SSLQ_TAG_LEN, SSLQ_TAG_LEN);
}

static void test_chacha_short_header_matches_rfc(void **state)
{
    const rfc_vectors *v = *state;
    const sslq_suite *suite = sslq_suite_get(SSLQ_TLS_CHACHA20_POLY1305_SHA256);
    uint8_t secret[32], next[32], nonce[SSLQ_IV_LEN], sample[16];
    uint8_t mask[SSLQ_HP_MASK_LEN], pkt[64], plain[64];
    size_t hdrlen, payloadlen, hl, pl;
    direction d;
    uint64_t pn;

    assert_non_null(suite);
    unhex(RFC_A5_SECRET, secret, sizeof(secret));
    direction_from_secret(&d, suite, v->version, secret, sizeof(secret));
    assert_int_equal(d.keys.keylen, 32);
    assert_hex_equal(d.keys.key, 32, v->a5_key);
    assert_hex_equal(d.keys.iv, 12, v->a5_iv);
    assert_hex_equal(d.keys.hp, 32, v->a5_hp);

    assert_int_equal(
        sslq_derive_next_secret(suite, v->version, secret, 32, next), 0);
    assert_hex_equal(next, 32, v->a5_ku);

    sslq_make_nonce(nonce, d.keys.iv, RFC_A5_PN);
    assert_hex_equal(nonce, sizeof(nonce), v->a5_nonce);

    /* ChaCha20 header protection: the sample is the cipher's IV. */
    unhex(v->a5_sample, sample, sizeof(sample));
    assert_int_equal(sslq_hp_mask(d.hp, mask, sample), 0);
    assert_hex_equal(mask, sizeof(mask), v->a5_mask);

    hdrlen = unhex(RFC_A5_HEADER, pkt, sizeof(pkt));
    payloadlen = unhex(RFC_A5_PAYLOAD, pkt + hdrlen, sizeof(pkt) - hdrlen);
    memcpy(plain, pkt, hdrlen + payloadlen);
    assert_int_equal(sslq_packet_protect(d.seal, d.keys.iv, d.hp, pkt, hdrlen,
                                         RFC_A5_PN, payloadlen),
                     0);
    assert_hex_equal(pkt, hdrlen + payloadlen + SSLQ_TAG_LEN, v->a5_packet);

    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, pkt,
                                           hdrlen + payloadlen + SSLQ_TAG_LEN,
                                           1, RFC_A5_PN - 1, &pn, &hl, &pl),
                     0);
    assert_int_equal(pn, RFC_A5_PN);
    assert_int_equal(hl, hdrlen);
    assert_int_equal(pl, payloadlen);
    assert_memory_equal(pkt, plain, hdrlen + payloadlen);
    direction_free(&d);
}

static void test_record_keys_match_rfc8448(void **state)
{
    const sslq_suite *suite = sslq_suite_get(SSLQ_TLS_AES_128_GCM_SHA256);
    uint8_t secret[32], key[SSLQ_MAX_KEY_LEN], iv[SSLQ_IV_LEN];

    (void)state;
    unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
          secret, sizeof(secret));
    assert_int_equal(sslq_derive_record_keys(suite, secret, 32, key, iv), 0);
    assert_hex_equal(key, 16, "3fce516009c21727d0f2e4e86ee403bc");
    assert_hex_equal(iv, 12, "5d313eb2671276ee13000b30");
}

/* ---- the suite table ---------------------------------------------------- */

static void test_suite_get_refuses_ccm_and_unknown_ids(void **state)
{
    (void)state;
    assert_null(sslq_suite_get(0x1304)); /* TLS_AES_128_CCM_SHA256 */
    assert_null(sslq_suite_get(0x1305)); /* TLS_AES_128_CCM_8_SHA256 */
    assert_null(sslq_suite_get(0x0000));
    assert_null(sslq_suite_get(0x1300));
    assert_null(sslq_suite_get(0xc02f)); /* a TLS 1.2 suite */
    assert_null(sslq_suite_get(0xffff));
}

static void test_suite_table_carries_rfc9001_limits(void **state)
{
    const sslq_suite *a128 = sslq_suite_get(SSLQ_TLS_AES_128_GCM_SHA256);
    const sslq_suite *a256 = sslq_suite_get(SSLQ_TLS_AES_256_GCM_SHA384);
    const sslq_suite *chacha =
        sslq_suite_get(SSLQ_TLS_CHACHA20_POLY1305_SHA256);

    (void)state;
    assert_non_null(a128);
    assert_non_null(a256);
    assert_non_null(chacha);
    assert_ptr_equal(sslq_suite_initial(), a128);
    assert_int_equal(a128->id, 0x1301);
    assert_int_equal(a128->keylen, 16);
    assert_int_equal(a128->secretlen, 32);
    assert_int_equal(a256->id, 0x1302);
    assert_int_equal(a256->keylen, 32);
    assert_int_equal(a256->secretlen, 48);
    assert_int_equal(chacha->id, 0x1303);
    assert_int_equal(chacha->keylen, 32);
    assert_int_equal(chacha->secretlen, 32);
    /* RFC 9001 §6.6 */
    assert_true(a128->max_encryption == 1ULL << 23);
    assert_true(a256->max_encryption == 1ULL << 23);
    assert_true(a128->max_decryption_failure == 1ULL << 52);
    assert_true(a256->max_decryption_failure == 1ULL << 52);
    assert_true(chacha->max_encryption == 1ULL << 62);
    assert_true(chacha->max_decryption_failure == 1ULL << 36);
    /* Fetched once: every call hands out the same objects. */
    assert_ptr_equal(sslq_suite_get(0x1303), chacha);
    assert_ptr_equal(sslq_suite_get(0x1303)->aead, chacha->aead);
}

/* ---- versions ----------------------------------------------------------- */

static void test_version_support_is_v1_v2_and_v2_draft(void **state)
{
    (void)state;
    assert_true(sslq_version_is_supported(SSLQ_VERSION_V1));
    assert_true(sslq_version_is_supported(SSLQ_VERSION_V2));
    assert_true(sslq_version_is_supported(SSLQ_VERSION_V2_DRAFT));
    assert_false(sslq_version_is_supported(0));
    assert_false(sslq_version_is_supported(0xff00001d)); /* draft-29 */
    assert_false(sslq_version_is_supported(0x0a0a0a0a)); /* greased */
}

/* The draft keys with the v2 labels but its own salt and Retry key, and
 * updates keys with "quic ku" as ngtcp2 0.12's own crypto helper does. */
static void test_v2_draft_has_own_salt_and_v1_key_update(void **state)
{
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t dcid[8], c2[32], s2[32], cd[32], sd[32], secret[32];
    uint8_t ku1[32], kud[32];
    const uint8_t *key, *nonce;
    sslq_packet_keys k2, kd;

    (void)state;
    unhex(RFC_DCID, dcid, sizeof(dcid));
    assert_int_equal(sslq_initial_secrets(SSLQ_VERSION_V2, dcid, 8, c2, s2), 0);
    assert_int_equal(
        sslq_initial_secrets(SSLQ_VERSION_V2_DRAFT, dcid, 8, cd, sd), 0);
    assert_memory_not_equal(c2, cd, 32);
    assert_memory_not_equal(s2, sd, 32);

    unhex(RFC_A5_SECRET, secret, sizeof(secret));
    assert_int_equal(
        sslq_derive_packet_keys(suite, SSLQ_VERSION_V2, secret, 32, &k2), 0);
    assert_int_equal(
        sslq_derive_packet_keys(suite, SSLQ_VERSION_V2_DRAFT, secret, 32, &kd),
        0);
    assert_memory_equal(&k2, &kd, sizeof(k2));

    assert_int_equal(
        sslq_derive_next_secret(suite, SSLQ_VERSION_V1, secret, 32, ku1), 0);
    assert_int_equal(
        sslq_derive_next_secret(suite, SSLQ_VERSION_V2_DRAFT, secret, 32, kud),
        0);
    assert_memory_equal(ku1, kud, 32);

    /* NGTCP2_RETRY_KEY_V2_DRAFT / NGTCP2_RETRY_NONCE_V2_DRAFT of 0.12 */
    assert_int_equal(sslq_retry_key(SSLQ_VERSION_V2_DRAFT, &key, &nonce), 0);
    assert_hex_equal(key, 16, "ba858dc7b43de5dbf87617ff4ab253db");
    assert_hex_equal(nonce, 12, "141b99c239b03e785d6a2e9f");
    assert_int_equal(sslq_retry_key(SSLQ_VERSION_V1, &key, &nonce), 0);
    assert_hex_equal(key, 16, "be0c690b9f66575a1d766b54e368c84e");
    assert_hex_equal(nonce, 12, "461599d35d632bf2239825bb");
    assert_int_equal(sslq_retry_key(SSLQ_VERSION_V2, &key, &nonce), 0);
    assert_hex_equal(key, 16, "8fb4b01b56ac48e260fbcbcead7ccc92");
    assert_hex_equal(nonce, 12, "d86969bc2d7c6d9990efb04a");
}

/* ---- round trips and tampering ------------------------------------------ */

static const uint16_t all_suites[] = {SSLQ_TLS_AES_128_GCM_SHA256,
                                      SSLQ_TLS_AES_256_GCM_SHA384,
                                      SSLQ_TLS_CHACHA20_POLY1305_SHA256};
static const uint32_t all_versions[] = {SSLQ_VERSION_V1, SSLQ_VERSION_V2,
                                        SSLQ_VERSION_V2_DRAFT};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void direction_random(direction *d, uint16_t suite_id, uint32_t version)
{
    const sslq_suite *suite = sslq_suite_get(suite_id);
    uint8_t secret[SSLQ_MAX_SECRET_LEN];

    assert_non_null(suite);
    assert_int_equal(sslq_random(secret, suite->secretlen), 0);
    direction_from_secret(d, suite, version, secret, suite->secretlen);
}

/* A short header: flags with |pnlen|, an 8-byte DCID, the packet number. */
static size_t short_header(uint8_t *pkt, uint64_t pn, size_t pnlen)
{
    size_t n = 0, i;

    pkt[n++] = (uint8_t)(0x40 | (pnlen - 1));
    for (i = 0; i < 8; i++)
        pkt[n++] = (uint8_t)(0xc0 + i);
    for (i = 0; i < pnlen; i++)
        pkt[n++] = (uint8_t)(pn >> (8 * (pnlen - 1 - i)));
    return n;
}

/* A Handshake-type long header with |pnlen| packet-number bytes; returns the
 * header length, the packet number field last. */
static size_t long_header(uint8_t *pkt, uint32_t version, uint64_t pn,
                          size_t pnlen, size_t payloadlen)
{
    size_t n = 0, i, length = pnlen + payloadlen + SSLQ_TAG_LEN;

    pkt[n++] = (uint8_t)(0xe0 | (pnlen - 1));
    pkt[n++] = (uint8_t)(version >> 24);
    pkt[n++] = (uint8_t)(version >> 16);
    pkt[n++] = (uint8_t)(version >> 8);
    pkt[n++] = (uint8_t)version;
    pkt[n++] = 4;
    for (i = 0; i < 4; i++)
        pkt[n++] = (uint8_t)(0xd0 + i);
    pkt[n++] = 0;
    pkt[n++] = (uint8_t)(0x40 | (length >> 8));
    pkt[n++] = (uint8_t)length;
    for (i = 0; i < pnlen; i++)
        pkt[n++] = (uint8_t)(pn >> (8 * (pnlen - 1 - i)));
    return n;
}

/* Protects one packet and opens it again: the same header and payload come
 * back, with the full packet number. */
static void round_trip(const direction *d, uint32_t version, int longhdr,
                       size_t pnlen, size_t payloadlen, uint64_t pn)
{
    uint8_t pkt[1400], plain[1400];
    size_t hdrlen, hl, pl;
    uint64_t got;

    hdrlen = longhdr ? long_header(pkt, version, pn, pnlen, payloadlen)
                     : short_header(pkt, pn, pnlen);
    assert_true(hdrlen + payloadlen + SSLQ_TAG_LEN <= sizeof(pkt));
    assert_int_equal(sslq_random(pkt + hdrlen, payloadlen), 0);
    memcpy(plain, pkt, hdrlen + payloadlen);
    assert_int_equal(sslq_packet_protect(d->seal, d->keys.iv, d->hp, pkt,
                                         hdrlen, pn, payloadlen),
                     0);
    assert_memory_not_equal(pkt + hdrlen, plain + hdrlen, payloadlen);
    assert_int_equal(sslq_packet_unprotect(d->open, d->keys.iv, d->hp, pkt,
                                           hdrlen + payloadlen + SSLQ_TAG_LEN,
                                           hdrlen - pnlen, (int64_t)pn - 1,
                                           &got, &hl, &pl),
                     0);
    assert_int_equal(got, pn);
    assert_int_equal(hl, hdrlen);
    assert_int_equal(pl, payloadlen);
    assert_memory_equal(pkt, plain, hdrlen + payloadlen);
}

static void test_round_trip_every_suite_and_version(void **state)
{
    static const size_t payloadlens[] = {20, 21, 100, 1200};
    size_t s, v, p, pnlen;
    direction d;
    int longhdr;

    (void)state;
    for (s = 0; s < COUNT(all_suites); s++) {
        for (v = 0; v < COUNT(all_versions); v++) {
            direction_random(&d, all_suites[s], all_versions[v]);
            for (p = 0; p < COUNT(payloadlens); p++)
                for (longhdr = 0; longhdr < 2; longhdr++)
                    for (pnlen = 1; pnlen <= 4; pnlen++)
                        round_trip(&d, all_versions[v], longhdr, pnlen,
                                   payloadlens[p], 1000 + p * 7 + pnlen);
            direction_free(&d);
        }
    }
}

/* Every single-bit change to a protected packet, header or payload or tag,
 * makes it fail to open: a changed header is AAD that no longer matches, a
 * changed packet-number length moves the payload, a changed sample unmasks
 * a different packet number. */
static void test_flipped_bit_never_opens(void **state)
{
    uint8_t pkt[128], work[128];
    size_t s, longhdr, hdrlen, pktlen, bit, hl, pl;
    direction d;
    uint64_t pn;

    (void)state;
    for (s = 0; s < COUNT(all_suites); s++) {
        direction_random(&d, all_suites[s], SSLQ_VERSION_V1);
        for (longhdr = 0; longhdr < 2; longhdr++) {
            hdrlen = longhdr ? long_header(pkt, SSLQ_VERSION_V1, 77, 2, 40)
                             : short_header(pkt, 77, 2);
            memset(pkt + hdrlen, 0x5a, 40);
            pktlen = hdrlen + 40 + SSLQ_TAG_LEN;
            assert_int_equal(sslq_packet_protect(d.seal, d.keys.iv, d.hp, pkt,
                                                 hdrlen, 77, 40),
                             0);
            /* the untouched packet opens */
            memcpy(work, pkt, pktlen);
            assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp,
                                                   work, pktlen, hdrlen - 2, 76,
                                                   &pn, &hl, &pl),
                             0);
            for (bit = 0; bit < pktlen * 8; bit++) {
                memcpy(work, pkt, pktlen);
                work[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp,
                                                       work, pktlen, hdrlen - 2,
                                                       76, &pn, &hl, &pl),
                                 SSLQ_ERR_DECRYPT);
            }
        }
        direction_free(&d);
    }
}

/* RFC 9000 §17.1 and Appendix A.3: the receiver rebuilds the full packet
 * number from its truncated form and the largest one seen so far.  The
 * packet opens only with the full number in the nonce, so a wrong guess
 * shows up as a decryption failure. */
static void test_unprotect_decodes_truncated_packet_numbers(void **state)
{
    static const struct {
        uint64_t pn;
        size_t pnlen;
        int64_t largest;
    } cases[] = {
        {0, 1, -1},
        {0xa82f9b32, 2, 0xa82f30ea}, /* RFC 9000 A.3's own example */
        {256, 1, 255},
        {0x200, 1, 0x1fe}, /* the truncated value wraps upwards */
        {0x10005, 2, 0xfffa},
        {255, 1, 256}, /* a late packet below the window */
        {0x10000, 2, 0xffff},
        {0x1ffff, 2, 0x20001},
        {(1ULL << 32) + 5, 4, (1ULL << 32) + 3},
        {(1ULL << 32) - 1, 4, 1ULL << 32},
        {(1ULL << 62) - 1, 4, (1LL << 62) - 2}, /* the top of the space */
        {RFC_A5_PN, 3, RFC_A5_PN - 1},
    };
    uint8_t pkt[64];
    size_t i, hdrlen, hl, pl;
    direction d;
    uint64_t got;

    (void)state;
    direction_random(&d, SSLQ_TLS_AES_128_GCM_SHA256, SSLQ_VERSION_V1);
    for (i = 0; i < COUNT(cases); i++) {
        hdrlen = short_header(pkt, cases[i].pn, cases[i].pnlen);
        memset(pkt + hdrlen, 0x01, 24);
        assert_int_equal(sslq_packet_protect(d.seal, d.keys.iv, d.hp, pkt,
                                             hdrlen, cases[i].pn, 24),
                         0);
        assert_int_equal(
            sslq_packet_unprotect(
                d.open, d.keys.iv, d.hp, pkt, hdrlen + 24 + SSLQ_TAG_LEN,
                hdrlen - cases[i].pnlen, cases[i].largest, &got, &hl, &pl),
            0);
        assert_int_equal(got, cases[i].pn);
    }

    /* 1-byte packet number 0x05 sent as 0x105, received when the largest
     * seen is 0x2ff: the window says 0x305, the nonce disagrees. */
    hdrlen = short_header(pkt, 0x105, 1);
    memset(pkt + hdrlen, 0x01, 24);
    assert_int_equal(
        sslq_packet_protect(d.seal, d.keys.iv, d.hp, pkt, hdrlen, 0x105, 24),
        0);
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, pkt,
                                           hdrlen + 24 + SSLQ_TAG_LEN,
                                           hdrlen - 1, 0x2ff, &got, &hl, &pl),
                     SSLQ_ERR_DECRYPT);
    direction_free(&d);
}

/* ---- bad input ---------------------------------------------------------- */

static void test_unknown_version_is_invalid_argument(void **state)
{
    static const uint32_t unknown[] = {0, 0xff00001d, 0x0a0a0a0a, 2};
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t dcid[8] = {0}, cs[32], ss[32], secret[32] = {1}, out[32];
    const uint8_t *key, *nonce;
    uint8_t retry[20] = {0xf0}, tag[SSLQ_TAG_LEN];
    sslq_packet_keys keys;
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(unknown); i++) {
        assert_int_equal(sslq_initial_secrets(unknown[i], dcid, 8, cs, ss),
                         SSLQ_ERR_INVALID_ARGUMENT);
        assert_int_equal(
            sslq_derive_packet_keys(suite, unknown[i], secret, 32, &keys),
            SSLQ_ERR_INVALID_ARGUMENT);
        assert_int_equal(
            sslq_derive_next_secret(suite, unknown[i], secret, 32, out),
            SSLQ_ERR_INVALID_ARGUMENT);
        assert_int_equal(sslq_retry_key(unknown[i], &key, &nonce),
                         SSLQ_ERR_INVALID_ARGUMENT);
        assert_int_equal(
            sslq_retry_tag(unknown[i], dcid, 8, retry, sizeof(retry), tag),
            SSLQ_ERR_INVALID_ARGUMENT);
    }
}

static void test_cid_longer_than_20_bytes_is_invalid_argument(void **state)
{
    uint8_t cid[21] = {0}, cs[32], ss[32], key[32] = {0};
    uint8_t retry[20] = {0xf0}, tag[SSLQ_TAG_LEN];
    uint8_t token[SSLQ_STATELESS_RESET_TOKEN_LEN];

    (void)state;
    assert_int_equal(sslq_initial_secrets(SSLQ_VERSION_V1, cid, 21, cs, ss),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(
        sslq_retry_tag(SSLQ_VERSION_V1, cid, 21, retry, sizeof(retry), tag),
        SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_stateless_reset_token(key, cid, 21, token),
                     SSLQ_ERR_INVALID_ARGUMENT);
    /* 20 is the largest legal length, 0 the smallest */
    assert_int_equal(sslq_initial_secrets(SSLQ_VERSION_V1, cid, 20, cs, ss), 0);
    assert_int_equal(sslq_initial_secrets(SSLQ_VERSION_V1, NULL, 0, cs, ss), 0);
}

/* A packet must hold 4 + 16 bytes from the start of its packet number for
 * the header-protection sample; anything shorter is refused before a byte
 * past its end is read. */
static void test_unprotect_rejects_packet_too_short_to_sample(void **state)
{
    size_t pktlen, pn_offset = 9, hl, pl;
    direction d;
    uint64_t pn;
    uint8_t *pkt;

    (void)state;
    direction_random(&d, SSLQ_TLS_AES_128_GCM_SHA256, SSLQ_VERSION_V1);
    for (pktlen = 0; pktlen < pn_offset + 4 + SSLQ_HP_SAMPLE_LEN; pktlen++) {
        pkt = malloc(pktlen ? pktlen : 1);
        assert_non_null(pkt);
        memset(pkt, 0x41, pktlen ? pktlen : 1);
        assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, pkt,
                                               pktlen, pn_offset, -1, &pn, &hl,
                                               &pl),
                         SSLQ_ERR_INVALID_ARGUMENT);
        free(pkt);
    }
    /* the packet number may not start at byte 0 nor past the end */
    pkt = malloc(64);
    assert_non_null(pkt);
    memset(pkt, 0x41, 64);
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, pkt, 64, 0,
                                           -1, &pn, &hl, &pl),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, pkt, 64, 65,
                                           -1, &pn, &hl, &pl),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, pkt, 64,
                                           SIZE_MAX - 2, -1, &pn, &hl, &pl),
                     SSLQ_ERR_INVALID_ARGUMENT);
    /* just long enough: header protection runs, the forged tag fails */
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, pkt,
                                           pn_offset + 4 + SSLQ_HP_SAMPLE_LEN,
                                           pn_offset, -1, &pn, &hl, &pl),
                     SSLQ_ERR_DECRYPT);
    free(pkt);
    direction_free(&d);
}

static void test_protect_rejects_payload_too_short_to_sample(void **state)
{
    size_t pnlen, payloadlen, hdrlen, need;
    uint8_t hdr[16];
    direction d;
    uint8_t *pkt;

    (void)state;
    direction_random(&d, SSLQ_TLS_CHACHA20_POLY1305_SHA256, SSLQ_VERSION_V1);
    for (pnlen = 1; pnlen <= 4; pnlen++) {
        hdrlen = short_header(hdr, 9, pnlen);
        /* the sample needs 4 - pnlen payload bytes beyond the tag's 16 */
        need = 4 - pnlen;
        for (payloadlen = 0; payloadlen <= need; payloadlen++) {
            pkt = malloc(hdrlen + payloadlen + SSLQ_TAG_LEN);
            assert_non_null(pkt);
            memcpy(pkt, hdr, hdrlen);
            memset(pkt + hdrlen, 0, payloadlen + SSLQ_TAG_LEN);
            assert_int_equal(sslq_packet_protect(d.seal, d.keys.iv, d.hp, pkt,
                                                 hdrlen, 9, payloadlen),
                             payloadlen < need ? SSLQ_ERR_INVALID_ARGUMENT : 0);
            free(pkt);
        }
    }
    /* a header with no room for its own packet number */
    hdr[0] = 0x43; /* 4-byte packet number, 3-byte header */
    pkt = calloc(1, 64);
    assert_non_null(pkt);
    memcpy(pkt, hdr, 1);
    assert_int_equal(
        sslq_packet_protect(d.seal, d.keys.iv, d.hp, pkt, 3, 9, 40),
        SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(
        sslq_packet_protect(d.seal, d.keys.iv, d.hp, pkt, 0, 9, 40),
        SSLQ_ERR_INVALID_ARGUMENT);
    free(pkt);
    direction_free(&d);
}

static void test_open_fails_when_ciphertext_shorter_than_tag(void **state)
{
    uint8_t nonce[SSLQ_IV_LEN] = {0};
    size_t ctlen;
    direction d;
    uint8_t *ct;

    (void)state;
    direction_random(&d, SSLQ_TLS_AES_256_GCM_SHA384, SSLQ_VERSION_V1);
    for (ctlen = 0; ctlen < SSLQ_TAG_LEN; ctlen++) {
        ct = malloc(ctlen ? ctlen : 1);
        assert_non_null(ct);
        memset(ct, 0x17, ctlen ? ctlen : 1);
        assert_int_equal(sslq_aead_open(d.open, ct, ct, ctlen, nonce, NULL, 0),
                         SSLQ_ERR_DECRYPT);
        free(ct);
    }
    /* exactly a tag: an empty message, whose forgery fails too */
    ct = malloc(SSLQ_TAG_LEN);
    assert_non_null(ct);
    memset(ct, 0x17, SSLQ_TAG_LEN);
    assert_int_equal(
        sslq_aead_open(d.open, ct, ct, SSLQ_TAG_LEN, nonce, NULL, 0),
        SSLQ_ERR_DECRYPT);
    /* and a real empty message opens */
    assert_int_equal(sslq_aead_seal(d.seal, ct, NULL, 0, nonce, NULL, 0), 0);
    assert_int_equal(
        sslq_aead_open(d.open, ct, ct, SSLQ_TAG_LEN, nonce, NULL, 0), 0);
    free(ct);
    direction_free(&d);
}

static void test_open_fails_and_wipes_output_when_tag_bit_flipped(void **state)
{
    uint8_t nonce[SSLQ_IV_LEN] = {9}, buf[64 + SSLQ_TAG_LEN], out[64];
    uint8_t plain[64];
    static const uint8_t aad[] = "header";
    direction d;

    (void)state;
    direction_random(&d, SSLQ_TLS_AES_128_GCM_SHA256, SSLQ_VERSION_V1);
    memset(plain, 'p', sizeof(plain));
    memcpy(buf, plain, sizeof(plain));
    assert_int_equal(sslq_aead_seal(d.seal, buf, buf, 64, nonce, aad, 6), 0);
    buf[64 + 3] ^= 0x10;
    memset(out, 0xee, sizeof(out));
    assert_int_equal(
        sslq_aead_open(d.open, out, buf, sizeof(buf), nonce, aad, 6),
        SSLQ_ERR_DECRYPT);
    /* unauthenticated plaintext never reaches the caller */
    for (size_t i = 0; i < sizeof(out); i++)
        assert_int_not_equal(out[i], 'p');
    buf[64 + 3] ^= 0x10;
    assert_int_equal(
        sslq_aead_open(d.open, out, buf, sizeof(buf), nonce, aad, 6), 0);
    assert_memory_equal(out, plain, sizeof(plain));
    /* the wrong AAD fails as well */
    assert_int_equal(
        sslq_aead_open(d.open, out, buf, sizeof(buf), nonce, aad, 5),
        SSLQ_ERR_DECRYPT);
    direction_free(&d);
}

static void test_null_arguments_are_invalid(void **state)
{
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t buf[64] = {0x40}, nonce[SSLQ_IV_LEN] = {0}, mask[5], out[32];
    uint8_t secret[32] = {1}, cs[32], ss[32], tag[16];
    size_t hl, pl;
    sslq_packet_keys keys;
    direction d;
    uint64_t pn;

    (void)state;
    direction_random(&d, SSLQ_TLS_AES_128_GCM_SHA256, SSLQ_VERSION_V1);
    assert_null(sslq_aead_ctx_new(NULL, secret, 1));
    assert_null(sslq_aead_ctx_new(suite, NULL, 1));
    assert_null(sslq_aead_ctx_new_cipher(NULL, secret, 1));
    assert_null(sslq_hp_ctx_new(NULL, secret));
    assert_null(sslq_hp_ctx_new(suite, NULL));

    assert_int_equal(sslq_aead_seal(NULL, buf, buf, 8, nonce, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_aead_seal(d.seal, NULL, buf, 8, nonce, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_aead_seal(d.seal, buf, NULL, 8, nonce, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_aead_seal(d.seal, buf, buf, 8, NULL, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_aead_seal(d.seal, buf, buf, 8, nonce, NULL, 4),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_aead_open(NULL, buf, buf, 32, nonce, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_aead_open(d.open, buf, NULL, 32, nonce, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_aead_open(d.open, buf, buf, 32, NULL, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_hp_mask(NULL, mask, buf), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_hp_mask(d.hp, NULL, buf), SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_hp_mask(d.hp, mask, NULL), SSLQ_ERR_INVALID_ARGUMENT);

    assert_int_equal(sslq_packet_protect(NULL, d.keys.iv, d.hp, buf, 10, 0, 30),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_packet_protect(d.seal, NULL, d.hp, buf, 10, 0, 30),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(
        sslq_packet_protect(d.seal, d.keys.iv, NULL, buf, 10, 0, 30),
        SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(
        sslq_packet_protect(d.seal, d.keys.iv, d.hp, NULL, 10, 0, 30),
        SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_packet_unprotect(NULL, d.keys.iv, d.hp, buf, 64, 9,
                                           -1, &pn, &hl, &pl),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, NULL, 64, 9,
                                           -1, &pn, &hl, &pl),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, buf, 64, 9,
                                           -1, NULL, &hl, &pl),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_packet_unprotect(d.open, d.keys.iv, d.hp, buf, 64, 9,
                                           -2, &pn, &hl, &pl),
                     SSLQ_ERR_INVALID_ARGUMENT);

    assert_int_equal(sslq_derive_packet_keys(NULL, 1, secret, 32, &keys),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_derive_packet_keys(suite, 1, NULL, 32, &keys),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_derive_packet_keys(suite, 1, secret, 32, NULL),
                     SSLQ_ERR_INVALID_ARGUMENT);
    /* a secret of the wrong length for the suite's hash */
    assert_int_equal(sslq_derive_packet_keys(suite, 1, secret, 31, &keys),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_derive_record_keys(suite, secret, 48, out, nonce),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_initial_secrets(1, NULL, 8, cs, ss),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_initial_secrets(1, buf, 8, NULL, ss),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_hkdf_expand_label(NULL, secret, 32, "x", out, 32),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(
        sslq_hkdf_expand_label(suite->md, secret, 32, NULL, out, 32),
        SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_hkdf_extract(NULL, NULL, 0, secret, 32, out),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_retry_tag(1, buf, 8, NULL, 20, tag),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_retry_tag(1, buf, 8, buf, 20, NULL),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_stateless_reset_token(NULL, buf, 8, tag),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(sslq_random(NULL, 8), SSLQ_ERR_INVALID_ARGUMENT);
    direction_free(&d);
}

static void test_hkdf_expand_label_refuses_overlong_label(void **state)
{
    const sslq_suite *suite = sslq_suite_initial();
    uint8_t secret[32] = {3}, out[32];
    char label[251];

    (void)state;
    memset(label, 'a', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    /* "tls13 " + 250 bytes exceeds the 255-byte label field */
    assert_int_equal(
        sslq_hkdf_expand_label(suite->md, secret, 32, label, out, 32),
        SSLQ_ERR_INVALID_ARGUMENT);
    label[249] = '\0'; /* 6 + 249 = 255 fits */
    assert_int_equal(
        sslq_hkdf_expand_label(suite->md, secret, 32, label, out, 32), 0);
}

static void test_seal_refuses_an_opening_context(void **state)
{
    uint8_t nonce[SSLQ_IV_LEN] = {0}, buf[32 + SSLQ_TAG_LEN] = {0};
    direction d;

    (void)state;
    direction_random(&d, SSLQ_TLS_AES_128_GCM_SHA256, SSLQ_VERSION_V1);
    assert_int_equal(sslq_aead_seal(d.open, buf, buf, 32, nonce, NULL, 0),
                     SSLQ_ERR_INVALID_ARGUMENT);
    assert_int_equal(
        sslq_aead_open(d.seal, buf, buf, sizeof(buf), nonce, NULL, 0),
        SSLQ_ERR_INVALID_ARGUMENT);
    direction_free(&d);
}

/* ---- stateless reset and randomness ------------------------------------- */

static void test_stateless_reset_token_is_keyed_per_cid(void **state)
{
    uint8_t key[32], other_key[32], cid[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t t1[16], t2[16], t3[16], t4[16];

    (void)state;
    memset(key, 0x11, sizeof(key));
    memset(other_key, 0x22, sizeof(other_key));
    assert_int_equal(sslq_stateless_reset_token(key, cid, 8, t1), 0);
    assert_int_equal(sslq_stateless_reset_token(key, cid, 8, t2), 0);
    assert_memory_equal(t1, t2, 16); /* any holder of the key recomputes it */
    cid[7] ^= 1;
    assert_int_equal(sslq_stateless_reset_token(key, cid, 8, t3), 0);
    assert_memory_not_equal(t1, t3, 16);
    cid[7] ^= 1;
    assert_int_equal(sslq_stateless_reset_token(other_key, cid, 8, t4), 0);
    assert_memory_not_equal(t1, t4, 16);
    assert_int_equal(sslq_stateless_reset_token(key, cid, 7, t4), 0);
    assert_memory_not_equal(t1, t4, 16);
}

static void test_random_fills_the_buffer(void **state)
{
    uint8_t a[64], b[64];

    (void)state;
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(sslq_random(a, sizeof(a)), 0);
    assert_int_equal(sslq_random(b, sizeof(b)), 0);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(sslq_random(NULL, 0), 0);
}

#define VECTOR_TEST(f, vec)                                                    \
    {                                                                          \
#f "/" #vec, f, NULL, NULL, (void *)&vec                               \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        VECTOR_TEST(test_initial_secrets_and_keys_match_rfc, rfc9001),
        VECTOR_TEST(test_initial_secrets_and_keys_match_rfc, rfc9369),
        VECTOR_TEST(test_client_initial_protects_to_rfc_bytes, rfc9001),
        VECTOR_TEST(test_client_initial_protects_to_rfc_bytes, rfc9369),
        VECTOR_TEST(test_server_initial_protects_to_rfc_bytes, rfc9001),
        VECTOR_TEST(test_server_initial_protects_to_rfc_bytes, rfc9369),
        VECTOR_TEST(test_retry_tag_matches_rfc, rfc9001),
        VECTOR_TEST(test_retry_tag_matches_rfc, rfc9369),
        VECTOR_TEST(test_chacha_short_header_matches_rfc, rfc9001),
        VECTOR_TEST(test_chacha_short_header_matches_rfc, rfc9369),
        cmocka_unit_test(test_record_keys_match_rfc8448),
        cmocka_unit_test(test_suite_get_refuses_ccm_and_unknown_ids),
        cmocka_unit_test(test_suite_table_carries_rfc9001_limits),
        cmocka_unit_test(test_version_support_is_v1_v2_and_v2_draft),
        cmocka_unit_test(test_v2_draft_has_own_salt_and_v1_key_update),
        cmocka_unit_test(test_round_trip_every_suite_and_version),
        cmocka_unit_test(test_flipped_bit_never_opens),
        cmocka_unit_test(test_unprotect_decodes_truncated_packet_numbers),
        cmocka_unit_test(test_unknown_version_is_invalid_argument),
        cmocka_unit_test(test_cid_longer_than_20_bytes_is_invalid_argument),
        cmocka_unit_test(test_unprotect_rejects_packet_too_short_to_sample),
        cmocka_unit_test(test_protect_rejects_payload_too_short_to_sample),
        cmocka_unit_test(test_open_fails_when_ciphertext_shorter_than_tag),
        cmocka_unit_test(test_open_fails_and_wipes_output_when_tag_bit_flipped),
        cmocka_unit_test(test_null_arguments_are_invalid),
        cmocka_unit_test(test_hkdf_expand_label_refuses_overlong_label),
        cmocka_unit_test(test_seal_refuses_an_opening_context),
        cmocka_unit_test(test_stateless_reset_token_is_keyed_per_cid),
        cmocka_unit_test(test_random_fills_the_buffer),
    };

    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
