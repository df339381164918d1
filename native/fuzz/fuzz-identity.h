// A throwaway identity for the fuzz harnesses only (self-signed, never trusted anywhere).
#pragma once
static const char kFuzzCertPem[] = R"PEM(
-----BEGIN CERTIFICATE-----
MIIBsDCCAVagAwIBAgIUfr2ZFQhZY9y4BbXLJ2m62uBsPw4wCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSZnV6ei50bHNxbC5pbnZhbGlkMCAXDTI2MTIwNjIxMDIxNloY
DzIxMjYxMTEyMjEwMjE2WjAdMRswGQYDVQQDDBJmdXp6LnRsc3FsLmludmFsaWQw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARWET0kuBlrm1/VyaoO86qbOazzjepR
VzwfQQmHjLjsVkZjOaVzMMu6mH0dt9CFwqwPN2RwMFB1VESlqie2Rbato3IwcDAd
BgNVHQ4EFgQUc4C3Z0vdOcJd5YgObGGTDgokWxUwHwYDVR0jBBgwFoAUc4C3Z0vd
OcJd5YgObGGTDgokWxUwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHREEFjAUghJmdXp6
LnRsc3FsLmludmFsaWQwCgYIKoZIzj0EAwIDSAAwRQIhALHAvaoy0qvldJKLqLO0
p+E2QJtzRGKW80aj5y59IrqmAiBfW5JtvvsYR8+zYiMPX1WBxEaG/9iRdSo/u5Pb
WORCOg==
-----END CERTIFICATE-----
)PEM";
static const char kFuzzKeyPem[] = R"PEM(
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggNcWmlSxPfD11L9d
dh3iFSMUuSeI+RAGZcyOrxvs5oChRANCAARWET0kuBlrm1/VyaoO86qbOazzjepR
VzwfQQmHjLjsVkZjOaVzMMu6mH0dt9CFwqwPN2RwMFB1VESlqie2Rbat
-----END PRIVATE KEY-----
)PEM";
