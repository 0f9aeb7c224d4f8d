package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchArgsTest {

  @Test
  void parsesTheRelayExampleFromTheIssue() {
    BenchArgs a =
        BenchArgs.parse(
            "relay",
            "--url",
            "ws://127.0.0.1:3002/",
            "--rooms",
            "500",
            "--rate",
            "20",
            "--duration",
            "30s",
            "--warmup",
            "5s",
            "--server-pid",
            "1234");

    assertThat(a.scenario).isEqualTo(BenchArgs.Scenario.RELAY);
    assertThat(a.url.getPort()).isEqualTo(3002);
    assertThat(a.rooms).isEqualTo(500);
    assertThat(a.durationNanos).isEqualTo(30_000_000_000L);
    assertThat(a.warmupNanos).isEqualTo(5_000_000_000L);
    assertThat(a.serverPids).containsExactly(1234L);
    assertThat(a.offeredSteps()).containsExactly(20_000.0);
  }

  @Test
  void theBaselineIsARelayOptionAndItsRunKeepsEveryOtherOption() {
    BenchArgs a =
        BenchArgs.parse(
            "relay",
            "--baseline-url",
            "ws://127.0.0.1:3002/bench/baseline",
            "--rooms",
            "7",
            "--rate-steps",
            "100,200",
            "--room-prefix",
            "p");
    BenchArgs b = a.forBaseline();
    assertThat(b.url.getPath()).isEqualTo("/bench/baseline");
    assertThat(b.rooms).isEqualTo(7);
    assertThat(b.offeredSteps()).containsExactly(100.0, 200.0);
    assertThat(b.roomPrefix).isEqualTo("p-b");
    assertThatThrownBy(() -> BenchArgs.parse("churn", "--baseline-url", "ws://127.0.0.1:1/"))
        .hasMessageContaining("--baseline-url is only used by scenario relay");
  }

  @Test
  void rateStepsAreAggregateOfferedLoads() {
    BenchArgs a = BenchArgs.parse("relay", "--rate-steps", "1000, 5000,10000");

    assertThat(a.offeredSteps()).containsExactly(1000.0, 5000.0, 10000.0);
  }

  @Test
  void durationsAcceptMillisecondsSecondsMinutesAndEqualsSyntax() {
    assertThat(BenchArgs.duration("--x", "250ms", false)).isEqualTo(250_000_000L);
    assertThat(BenchArgs.duration("--x", "1.5s", false)).isEqualTo(1_500_000_000L);
    assertThat(BenchArgs.duration("--x", "2m", false)).isEqualTo(120_000_000_000L);
    assertThat(BenchArgs.duration("--x", "3", false)).isEqualTo(3_000_000_000L);
    assertThat(BenchArgs.parse("churn", "--duration=4s").durationNanos).isEqualTo(4_000_000_000L);
  }

  @Test
  void serverPidsMayBeAList() {
    assertThat(
            BenchArgs.parse("cross", "--url2", "ws://127.0.0.1:4002/", "--server-pid", "10,20")
                .serverPids)
        .isEqualTo(List.of(10L, 20L));
  }

  @Test
  void missingScenarioIsNamed() {
    assertThatThrownBy(BenchArgs::parse).hasMessageContaining("missing scenario");
  }

  @Test
  void unknownScenarioListsTheValidOnes() {
    assertThatThrownBy(() -> BenchArgs.parse("blast"))
        .hasMessageContaining("unknown scenario 'blast'")
        .hasMessageContaining("connections, relay, cross, churn");
  }

  @Test
  void unknownOptionIsNamed() {
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--romos", "3"))
        .hasMessageContaining("unknown option --romos");
  }

  @Test
  void optionWithoutValueIsNamed() {
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--rooms"))
        .hasMessageContaining("--rooms needs a value");
  }

  @Test
  void badNumbersAndDurationsQuoteTheValue() {
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--rooms", "ten"))
        .hasMessage("--rooms must be an integer (got 'ten')");
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--rooms", "0"))
        .hasMessageContaining("positive");
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--rate", "-1"))
        .hasMessageContaining("--rate must be more than zero");
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--duration", "soon"))
        .hasMessageContaining("500ms, 30s or 2m");
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--duration", "0s"))
        .hasMessageContaining("more than zero");
  }

  @Test
  void warmupAndDrainMayBeZero() {
    BenchArgs a = BenchArgs.parse("relay", "--warmup", "0s", "--drain", "0");

    assertThat(a.warmupNanos).isZero();
    assertThat(a.drainNanos).isZero();
  }

  @Test
  void crossRequiresASecondServer() {
    assertThatThrownBy(() -> BenchArgs.parse("cross")).hasMessageContaining("needs --url2");
  }

  @Test
  void secondServerIsRejectedForRelay() {
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--url2", "ws://127.0.0.1:1/"))
        .hasMessageContaining("not relay (use cross)");
  }

  @Test
  void connectionsAndChurnMaySendTheSecondMemberToASecondServer() {
    for (String scenario : List.of("connections", "churn")) {
      BenchArgs a = BenchArgs.parse(scenario, "--url2", "ws://127.0.0.1:4002/");
      assertThat(a.url).hasToString("ws://127.0.0.1:3002/");
      assertThat(a.secondMemberUrl()).hasToString("ws://127.0.0.1:4002/");
    }
    BenchArgs one = BenchArgs.parse("churn");
    assertThat(one.secondMemberUrl()).isEqualTo(one.url);
  }

  @Test
  void urlsMustBePlainWebSocket() {
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--url", "http://127.0.0.1:3002/"))
        .hasMessageContaining("ws://HOST:PORT/");
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--url", "wss://127.0.0.1:3002/"))
        .hasMessageContaining("wss is not supported");
  }

  @Test
  void connectionsNeedAnEvenClientCount() {
    assertThatThrownBy(() -> BenchArgs.parse("connections", "--clients", "3"))
        .hasMessageContaining("must be even");
    assertThat(BenchArgs.parse("connections", "--clients", "50000").clients).isEqualTo(50_000);
  }

  @Test
  void scenarioSpecificOptionsAreRejectedElsewhere() {
    assertThatThrownBy(() -> BenchArgs.parse("churn", "--rate-steps", "1,2"))
        .hasMessageContaining("only used by scenarios relay and cross");
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--clients", "10"))
        .hasMessageContaining("--rooms");
  }

  @Test
  void helpIsRecognisedAnywhere() {
    assertThat(BenchArgs.parse("relay", "--help").help).isTrue();
  }

  @Test
  void metricsUrlDefaultsToTheServersBaseScope() {
    BenchArgs a = BenchArgs.parse("relay", "--url", "ws://127.0.0.1:3402/");

    assertThat(a.metricsUrlFor(a.url)).hasToString("http://127.0.0.1:3402/metrics?scope=base");
  }

  @Test
  void sourceIpsRangeExpandsAndAutoStaysOffForSmallRuns() {
    assertThat(WsConnector.sourceIps("127.0.0.1-127.0.0.3", "127.0.0.1", 10)).hasSize(3);
    assertThat(WsConnector.sourceIps("auto", "127.0.0.1", 1000)).isEmpty();
    assertThat(WsConnector.sourceIps("auto", "127.0.0.1", 50_000)).hasSize(2);
    assertThatThrownBy(() -> WsConnector.sourceIps("127.0.0.1-127.0.1.3", "127.0.0.1", 10))
        .hasMessageContaining("/24");
  }

  @Test
  void forceGcIsYesByDefaultAndOnlyForConnections() {
    assertThat(BenchArgs.parse("connections").forceGc).isTrue();
    assertThat(BenchArgs.parse("connections", "--force-gc", "no").forceGc).isFalse();
    assertThat(BenchArgs.parse("connections", "--force-gc=yes").forceGc).isTrue();
    assertThatThrownBy(() -> BenchArgs.parse("connections", "--force-gc", "maybe"))
        .hasMessageContaining("--force-gc must be yes or no");
    assertThatThrownBy(() -> BenchArgs.parse("relay", "--force-gc", "no"))
        .hasMessageContaining("--force-gc is only used by scenario connections");
  }
}
