/*
 * fuzz_sns_cert - an SNS message's signing certificate: its URL, the
 *                 certificate a fetch returns and the signature check.
 *
 * DESCRIPTION
 *	Input: one byte choosing the SignatureVersion (even: "1", SHA1; odd:
 *	"2", SHA256), then four parts separated by a "--" line: the
 *	SigningCertURL, the fetched body (a PEM certificate), the string to
 *	sign and the Signature (base64). The URL goes through sns_url_check()
 *	under the default host pattern (nothing is fetched); the body
 *	through sns_cert_parse(), and a certificate it yields through
 *	sns_cert_valid_now() and sns_signature_check() of the string and
 *	signature. The message's JSON, from which these come, is fuzz_alarms'.
 */
#include "harness.h"

#include "web/sns_cert.h"

#include <stdlib.h>

/* fuzz_url - the SigningCertURL checked as sns_cert_get() checks it */
static void fuzz_url(const struct fuzz_part *url)
{
    static const struct sns_policy policy = { 0 };
    char *text = fuzz_cstring(url->data, url->size), err[512];

    curl_url_cleanup(sns_url_check(text, &policy, ".pem", err, sizeof(err)));
    free(text);
}

/* LLVMFuzzerTestOneInput - a version byte, then URL, certificate, text and signature */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_part part[4];
    char err[512], *text, *signature;
    X509 *cert;

    if (size < 1)
        return 0;
    fuzz_split(data + 1, size - 1, "\n--\n", part, 4);
    fuzz_url(&part[0]);
    cert = sns_cert_parse((const char *)part[1].data, part[1].size, err, sizeof(err));
    if (cert == NULL)
        return 0;
    text = fuzz_cstring(part[2].data, part[2].size);
    signature = fuzz_cstring(part[3].data, part[3].size);
    sns_cert_valid_now(cert, err, sizeof(err));
    sns_signature_check(cert, data[0] % 2 == 0 ? 1 : 2, text, signature, err, sizeof(err));
    free(text);
    free(signature);
    X509_free(cert);
    return 0;
}
