/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_cb — sslquic's own implementation of ngtcp2's crypto callbacks, on
 * the EVP layer of crypto.h (neither platform ships an ngtcp2 crypto helper
 * for OpenSSL).
 *
 * What ngtcp2 carries for us, and who owns it:
 *   ngtcp2_crypto_aead.native_handle       → const EVP_CIPHER * (shared)
 *   ngtcp2_crypto_md.native_handle         → const EVP_MD *     (shared)
 *   ngtcp2_crypto_cipher.native_handle     → const EVP_CIPHER * (HP, shared)
 *   ngtcp2_crypto_aead_ctx.native_handle   → EVP_CIPHER_CTX *   (one key)
 *   ngtcp2_crypto_cipher_ctx.native_handle → EVP_CIPHER_CTX *   (one HP key)
 * The algorithm handles are crypto.c's process-wide fetched objects.  Every
 * context the install functions hand to ngtcp2 belongs to the connection from
 * then on; ngtcp2 frees it through the delete callbacks set here.
 *
 * The version whose labels key Handshake, 1-RTT and key-update secrets is
 * the connection's negotiated version, or the version the client chose while
 * none is negotiated yet; ngtcp2 keeps both, so no state lives here.
 *
 * Functions return 0 or a negative SSLQ_ERR_* code; the callbacks return
 * what ngtcp2 expects of them.
 */
#ifndef SSLQUIC_CRYPTO_CB_H
#define SSLQUIC_CRYPTO_CB_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "ngtcp2_compat.h"

/* Fills |cb|'s encrypt, decrypt, hp_mask, update_key, delete_crypto_aead_ctx,
 * delete_crypto_cipher_ctx, rand, get_path_challenge_data,
 * version_negotiation, recv_retry (client) and recv_client_initial (server).
 * client_initial, which must also start the TLS handshake, stays the
 * connection's: it calls sslq_crypto_install_initial. */
void sslq_crypto_cb_set(ngtcp2_callbacks *cb);

/* Derives the Initial keys for |dcid| (the client's first Destination CID,
 * or the DCID a Retry assigned) under |version| and installs them on |conn|
 * in the direction its role needs.  A client that has not seen a Retry also
 * gets the Retry-tag AEAD for |version|. */
int sslq_crypto_install_initial(ngtcp2_conn *conn, uint32_t version,
                                const ngtcp2_cid *dcid);

/* Installs the keys derived from a Handshake, 1-RTT or 0-RTT traffic
 * |secret| for receiving (|is_rx| = 1) or sending.  The TLS shim calls it
 * with each secret it learns.  1-RTT keeps the secret inside ngtcp2 for key
 * updates.  SSLQ_ERR_INVALID_ARGUMENT for the Initial level (use
 * sslq_crypto_install_initial), a secret of the wrong length or a NULL. */
int sslq_crypto_install_key(ngtcp2_conn *conn, ngtcp2_encryption_level level,
                            int is_rx, const sslq_suite *suite,
                            const uint8_t *secret, size_t secretlen);

/* The AES-128-GCM AEAD and a context keyed with |version|'s Retry key, as
 * ngtcp2_pkt_write_retry and ngtcp2_conn_set_retry_aead take them.  Free the
 * context with sslq_crypto_aead_ctx_free unless ngtcp2 took it. */
int sslq_crypto_retry_aead(uint32_t version, ngtcp2_crypto_aead *aead,
                           ngtcp2_crypto_aead_ctx *aead_ctx);

void sslq_crypto_aead_ctx_free(ngtcp2_crypto_aead_ctx *aead_ctx);

/* Writes a Retry packet into |dest| (ngtcp2_pkt_write_retry with our
 * encrypt callback and Retry AEAD); *written is its length.
 * SSLQ_ERR_BUFFER when |destlen| is too small, SSLQ_ERR_INVALID_ARGUMENT for
 * an unknown version, an empty token or an |odcid| shorter than 8 bytes. */
int sslq_crypto_write_retry(uint8_t *dest, size_t destlen, uint32_t version,
                            const ngtcp2_cid *dcid, const ngtcp2_cid *scid,
                            const ngtcp2_cid *odcid, const uint8_t *token,
                            size_t tokenlen, size_t *written);

/* The callbacks themselves, for code that passes them on
 * (ngtcp2_pkt_write_connection_close takes encrypt and hp_mask) and for
 * callbacks the connection layer wraps. */
int sslq_crypto_cb_encrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
                           const ngtcp2_crypto_aead_ctx *aead_ctx,
                           const uint8_t *plaintext, size_t plaintextlen,
                           const uint8_t *nonce, size_t noncelen,
                           const uint8_t *aad, size_t aadlen);
int sslq_crypto_cb_decrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
                           const ngtcp2_crypto_aead_ctx *aead_ctx,
                           const uint8_t *ciphertext, size_t ciphertextlen,
                           const uint8_t *nonce, size_t noncelen,
                           const uint8_t *aad, size_t aadlen);
int sslq_crypto_cb_hp_mask(uint8_t *dest, const ngtcp2_crypto_cipher *hp,
                           const ngtcp2_crypto_cipher_ctx *hp_ctx,
                           const uint8_t *sample);
int sslq_crypto_cb_update_key(ngtcp2_conn *conn, uint8_t *rx_secret,
                              uint8_t *tx_secret,
                              ngtcp2_crypto_aead_ctx *rx_aead_ctx,
                              uint8_t *rx_iv,
                              ngtcp2_crypto_aead_ctx *tx_aead_ctx,
                              uint8_t *tx_iv, const uint8_t *current_rx_secret,
                              const uint8_t *current_tx_secret,
                              size_t secretlen, void *user_data);
void sslq_crypto_cb_delete_aead_ctx(ngtcp2_conn *conn,
                                    ngtcp2_crypto_aead_ctx *aead_ctx,
                                    void *user_data);
void sslq_crypto_cb_delete_cipher_ctx(ngtcp2_conn *conn,
                                      ngtcp2_crypto_cipher_ctx *cipher_ctx,
                                      void *user_data);
void sslq_crypto_cb_rand(uint8_t *dest, size_t destlen,
                         const ngtcp2_rand_ctx *rand_ctx);
int sslq_crypto_cb_get_path_challenge_data(ngtcp2_conn *conn, uint8_t *data,
                                           void *user_data);
int sslq_crypto_cb_version_negotiation(ngtcp2_conn *conn, uint32_t version,
                                       const ngtcp2_cid *client_dcid,
                                       void *user_data);
int sslq_crypto_cb_recv_retry(ngtcp2_conn *conn, const ngtcp2_pkt_hd *hd,
                              void *user_data);
int sslq_crypto_cb_recv_client_initial(ngtcp2_conn *conn,
                                       const ngtcp2_cid *dcid, void *user_data);

#endif /* SSLQUIC_CRYPTO_CB_H */
