package dev.switchboard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.redisson.client.RedisException;

class RedisGatewayTest {

  @Test
  void anAnswerIsReturned() throws Exception {
    assertThat(RedisGateway.await(CompletableFuture.completedFuture(7L), 1_000)).isEqualTo(7L);
  }

  @Test
  void whatTheCommandFailedWithIsThrownUnwrappedForTheBreakerToCount() {
    RedisException failure = new RedisException("ERR something");

    assertThatThrownBy(() -> RedisGateway.await(CompletableFuture.failedFuture(failure), 1_000))
        .isSameAs(failure);
  }

  @Test
  void aRedisThatDoesNotAnswerTimesOutAndTheCommandIsCancelled() {
    CompletableFuture<Long> never = new CompletableFuture<>();
    long start = System.nanoTime();

    assertThatThrownBy(() -> RedisGateway.await(never, 50))
        .isInstanceOf(TimeoutException.class)
        .hasMessage("Redis did not answer within 50 ms");
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(50_000_000L);
    assertThat(never).isCancelled();
  }

  @Test
  void anInterruptedWaitCancelsTheCommandAndKeepsTheInterrupt() {
    CompletableFuture<Long> pending = new CompletableFuture<>();
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> RedisGateway.await(pending, 1_000))
          .isInstanceOf(InterruptedException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
      assertThat(pending).isCancelled();
    } finally {
      Thread.interrupted(); // clear it for the next test
    }
  }
}
