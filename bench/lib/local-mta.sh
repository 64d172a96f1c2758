# Sourced by the real-MTA scripts (bash, as root, on a disposable Debian machine): installs and configures
# Postfix with submission on 127.0.0.1:587 and :2525 (STARTTLS required) and :465 (TLS from the first byte),
# all with SASL AUTH through Dovecot (user "router"), every message delivered to the local mailbox of user "demo"
# (/var/mail/demo). Nothing leaves the machine. Expects to run from the project root.
# shellcheck shell=bash
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
echo "postfix postfix/mailname string mta.test" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq postfix dovecot-core iptables openssl >/dev/null

conf=/etc/mta-test
mkdir -p "$conf"
openssl pkcs12 -in src/test/resources/tls/smtp-server.p12 -passin pass:changeit -nodes -nocerts -out "$conf/key.pem"
openssl pkcs12 -in src/test/resources/tls/smtp-server.p12 -passin pass:changeit -nokeys -clcerts -out "$conf/cert.pem"
chmod 600 "$conf/key.pem"
id demo >/dev/null 2>&1 || useradd -m demo

postconf -e "myhostname = mta.test" "mydestination = localhost, mta.test" "inet_interfaces = loopback-only" \
  "inet_protocols = ipv4" "smtp_dns_support_level = disabled" "disable_dns_lookups = yes" \
  "virtual_alias_maps = regexp:/etc/postfix/virtual" "smtpd_tls_cert_file = $conf/cert.pem" \
  "smtpd_tls_key_file = $conf/key.pem" "smtpd_sasl_type = dovecot" "smtpd_sasl_path = private/auth" \
  "maillog_file = /var/log/postfix.log" "compatibility_level = 3.6"
echo '/.*/ demo@localhost' > /etc/postfix/virtual
for port in 587 2525 465; do
  postconf -M "$port/inet=$port inet n - y - - smtpd"
  postconf -P "$port/inet/syslog_name=postfix/sub$port" "$port/inet/smtpd_tls_security_level=encrypt" \
    "$port/inet/smtpd_sasl_auth_enable=yes" "$port/inet/smtpd_tls_auth_only=yes" \
    "$port/inet/smtpd_relay_restrictions=permit_sasl_authenticated,reject" \
    "$port/inet/smtpd_recipient_restrictions=permit_sasl_authenticated,reject"
done
# 465: submission with TLS from the first byte (RFC 8314)
postconf -P "465/inet/smtpd_tls_wrappermode=yes"

cat > /etc/dovecot/conf.d/99-mta-test.conf <<CONF
ssl = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN $conf/users
}
userdb {
  driver = static
  args = uid=demo gid=demo home=/home/demo
}
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
CONF
sed -i 's/^ssl = yes/ssl = no/; s/^ssl_cert/#ssl_cert/; s/^ssl_key/#ssl_key/' /etc/dovecot/conf.d/10-ssl.conf
sed -i 's/^!include auth-system.conf.ext/#!include auth-system.conf.ext/' /etc/dovecot/conf.d/10-auth.conf
echo 'router:{PLAIN}mta-Pa55word' > "$conf/users"

postfix check
if postfix status >/dev/null 2>&1; then postfix reload; else postfix start; fi
if pgrep -x dovecot >/dev/null; then doveadm reload; else dovecot; fi
sleep 2

# Runs the demo main class $1 against this MTA (the packaged router, from `mvn -Pdemo package`) and prints how many
# messages reached the mailbox.
run_against_mta() {
  local before after
  before=$(grep -c '^From ' /var/mail/demo 2>/dev/null || true)
  mvn -B -q -Pdemo package -Ddemo.main="$1"
  after=$(grep -c '^From ' /var/mail/demo 2>/dev/null || true)
  echo "messages delivered to the mailbox: $(( ${after:-0} - ${before:-0} ))"
}
