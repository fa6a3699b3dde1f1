#!/usr/bin/env bash
# Makes the demo certificate of `make run` in $1 (data/demo-tls): a demo CA (ca.pem), and a
# certificate it signed for the demo resources' domains (demo-shop.pem, its key demo-shop.key),
# which the portal's demo account gets with HTTPS on. Kept until it has less than a day left,
# then made again. Only for trying the portal on this machine: trust ca.pem nowhere else.
set -euo pipefail
dir=${1:?usage: demo-certificate.sh DIR}
if [ -f "$dir/demo-shop.pem" ] && openssl x509 -in "$dir/demo-shop.pem" -noout -checkend 86400 >/dev/null; then
  exit 0
fi
mkdir -p "$dir"
umask 077
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=Edgeport demo CA (make run)" -days 825 -out "$dir/ca.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/demo-shop.key" 2>/dev/null
openssl req -new -key "$dir/demo-shop.key" -subj "/CN=www.demo-shop.example" -out "$dir/demo-shop.csr"
# 825 days: the longest validity browsers accept for a certificate from a private CA.
openssl x509 -req -in "$dir/demo-shop.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
  -extfile <(printf 'subjectAltName=DNS:www.demo-shop.example,DNS:static.demo-shop.example\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n') \
  -out "$dir/demo-shop.pem" 2>/dev/null
cat "$dir/ca.pem" >> "$dir/demo-shop.pem"
rm -f "$dir/demo-shop.csr" "$dir/ca.srl"
chmod 644 "$dir/ca.pem" "$dir/demo-shop.pem"
echo "made the demo certificate: $dir/demo-shop.pem (trust $dir/ca.pem to try https:// and wss://)"
