package dev.switchboard.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.config.ConfigException;
import dev.switchboard.config.SignalingConfig;
import dev.switchboard.config.TrustedProxies;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForwardedClientTest {

  private static TrustedProxies trust(String value) {
    return SignalingConfig.from(Map.of("TRUST_PROXY", value)::get).trustProxy();
  }

  @Test
  void withoutTrustTheSocketPeerIsTheClientWhateverTheHeadersSay() {
    assertThat(
            ForwardedClient.of(
                "198.51.100.9", TrustedProxies.NONE, List.of("for=1.2.3.4"), List.of("5.6.7.8")))
        .isEqualTo("198.51.100.9");
    assertThat(ForwardedClient.of("10.0.0.5", trust("false"), List.of(), List.of("5.6.7.8")))
        .isEqualTo("10.0.0.5");
  }

  @Test
  void aTrustedProxysXForwardedForNamesTheClient() {
    TrustedProxies proxies = trust("10.0.0.0/8");
    assertThat(ForwardedClient.of("10.0.0.5", proxies, List.of(), List.of("203.0.113.7")))
        .isEqualTo("203.0.113.7");
    assertThat(ForwardedClient.of("198.51.100.9", proxies, List.of(), List.of("203.0.113.7")))
        .as("an untrusted peer's header is ignored")
        .isEqualTo("198.51.100.9");
  }

  @Test
  void aClientCannotSpoofItsAddressThroughTheChain() {
    // The client sent "X-Forwarded-For: 1.1.1.1"; the trusted proxies appended what they saw.
    TrustedProxies proxies = trust("10.0.0.0/8, 192.168.1.1");
    assertThat(
            ForwardedClient.of(
                "10.0.0.5", proxies, List.of(), List.of("1.1.1.1, 203.0.113.7, 192.168.1.1")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void forwardedIsPreferredAndItsQuotingBracketsAndPortsAreUnderstood() {
    TrustedProxies proxies = trust("127.0.0.1");
    assertThat(
            ForwardedClient.of(
                "127.0.0.1",
                proxies,
                List.of("for=\"[2001:db8:cafe::17]:4711\";proto=https, for=198.51.100.3:8080"),
                List.of("9.9.9.9")))
        .isEqualTo("198.51.100.3");
    assertThat(ForwardedClient.clean("\"[2001:db8:cafe::17]:4711\""))
        .isEqualTo("2001:db8:cafe::17");
  }

  @Test
  void trustingEveryPeerTakesTheLeftmostAddress() {
    assertThat(
            ForwardedClient.of(
                "10.0.0.5", trust("true"), List.of(), List.of("203.0.113.7, 10.1.1.1")))
        .isEqualTo("203.0.113.7");
  }

  @Test
  void ipv6NetworksMatchByPrefix() {
    TrustedProxies proxies = trust("fd00::/8");
    assertThat(proxies.trusts("fd12:3456::1")).isTrue();
    assertThat(proxies.trusts("fe80::1")).isFalse();
    assertThat(proxies.trusts("10.0.0.1")).isFalse();
  }

  @Test
  void aBadTrustProxyValueIsAConfigurationError() {
    assertThatThrownBy(() -> trust("10.0.0.0/33")).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> trust("proxy.internal")).isInstanceOf(ConfigException.class);
  }
}
