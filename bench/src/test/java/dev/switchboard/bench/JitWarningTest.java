package dev.switchboard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JitWarningTest {

  @Test
  void warnsWhenTheJitTookMoreThanATenthOfTheServersCpu() {
    assertThat(Main.jitWarning("", 1, 3.0, 10.0))
        .contains("step 1", "30%", "still warming up", "3.0 of 10.0 CPU-s");
  }

  @Test
  void staysQuietAtATenthOrLessAndWhenEitherFigureIsUnknown() {
    assertThat(Main.jitWarning("", 1, 1.0, 10.0)).isNull();
    assertThat(Main.jitWarning("", 1, 0.2, 10.0)).isNull();
    assertThat(Main.jitWarning("", 1, Double.NaN, 10.0)).isNull();
    assertThat(Main.jitWarning("", 1, 1.0, Double.NaN)).isNull();
    assertThat(Main.jitWarning("", 1, 0.0, 0.0)).isNull();
  }

  @Test
  void namesTheUnitOfWork() {
    assertThat(Main.jitWarning("churn ", 1, 3.0, 10.0, "join"))
        .startsWith("churn step 1:")
        .contains("CPU per join is overstated")
        .doesNotContain("message");
    assertThat(Main.jitWarning("", 1, 3.0, 10.0)).contains("CPU per message is overstated");
  }

  @Test
  void namesTheTargetOfABaselineRun() {
    assertThat(Main.jitWarning("baseline ", 2, 5.0, 10.0)).startsWith("baseline step 2:");
  }
}
