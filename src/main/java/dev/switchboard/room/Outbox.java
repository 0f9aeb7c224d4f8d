package dev.switchboard.room;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One recipient's outbound frames: sent one at a time in the order offered, with the bytes not yet
 * written counted so a reader that cannot keep up is closed instead of growing memory. The
 * heartbeat's pings take their turn among the frames ({@link #ping}).
 *
 * <p>Hand-written because JSR-356 leaves concurrent async sends on one session undefined (some
 * containers reject them) and exposes no buffered-byte count.
 */
final class Outbox {

  private static final int PENDING = 0;
  private static final int RETURNED = 1;
  private static final int DONE = 2;

  /** The heartbeat's ping in the queue: compared by identity, never sent as text. */
  private static final Frame PING = new Frame("", 0);

  private final Connection connection;
  private final long limitBytes;
  private final Queue<Frame> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong pendingBytes = new AtomicLong();
  private final AtomicBoolean sending = new AtomicBoolean();
  private volatile boolean discarded;
  private volatile boolean sealed;
  private final AtomicReference<Runnable> whenFlushed = new AtomicReference<>();

  Outbox(Connection connection, long limitBytes) {
    this.connection = connection;
    this.limitBytes = limitBytes;
  }

  /**
   * Queues a frame. Returns false, queuing nothing, when the frame would take the unsent backlog
   * over the limit: the caller then closes the recipient.
   */
  boolean offer(Frame frame) {
    if (discarded || sealed) {
      return true;
    }
    if (pendingBytes.addAndGet(frame.bytes()) > limitBytes) {
      pendingBytes.addAndGet(-frame.bytes());
      return false;
    }
    queue.add(frame);
    drain();
    return true;
  }

  /**
   * Sends a ping in turn with the frames, so never while one is being written: Open Liberty refuses
   * a ping then ({@code IllegalStateException: write not allowed ... another Write or Close is in
   * progress}), and the heartbeat dropped well-behaved clients that were receiving frames as if
   * they had missed their pong (12 of 1,000 in 70 s at 10,000 msg/s). A ping queued behind a
   * backlog waits for it, so a reader that has not taken a heartbeat interval's worth of frames
   * misses its pong, as one that reads nothing does.
   *
   * <p>The ping goes out on whichever thread holds the sending slot: the heartbeat's, or the thread
   * that completed the frame before it. Liberty writes a ping synchronously; it is two bytes, sent
   * just after the socket took a whole frame.
   */
  void ping() {
    if (discarded || sealed) {
      return;
    }
    queue.add(PING);
    drain();
  }

  long pendingBytes() {
    return pendingBytes.get();
  }

  /** Drops everything unsent; later offers are ignored. For a connection that is going away. */
  void discard() {
    discarded = true;
    queue.clear();
    runWhenFlushed();
  }

  /**
   * Queues {@code last} behind everything already queued, ignores later offers, and runs {@code
   * then} once all of it is written (or the connection failed). For a close that must not lose what
   * was already on its way, such as a drain's {@code reconnect}.
   */
  void finish(Frame last, Runnable then) {
    whenFlushed.set(then);
    if (!sealed && !discarded) {
      pendingBytes.addAndGet(last.bytes());
      queue.add(last);
    }
    sealed = true; // after the add: whoever sees it sealed also sees the last frame queued
    drain();
  }

  private void runWhenFlushed() {
    Runnable then = whenFlushed.getAndSet(null);
    if (then != null) {
      then.run();
    }
  }

  /**
   * Sends queued frames while this thread holds the single sending slot. A send that completes
   * inline hands the slot back to this loop; one that completes later resumes draining from its
   * callback, so the stack never grows with the queue.
   */
  private void drain() {
    while (sending.compareAndSet(false, true)) {
      Frame frame = queue.poll();
      if (frame == null || discarded) {
        // Still holding the slot, so nothing is in flight: a finished outbox is flushed now.
        if ((sealed || discarded) && queue.isEmpty()) {
          runWhenFlushed();
        }
        sending.set(false);
        if (queue.isEmpty() || discarded) {
          return;
        }
        continue;
      }
      if (frame == PING) {
        connection.ping(); // done once it returns, on every container
        sending.set(false);
        continue;
      }
      AtomicInteger state = new AtomicInteger(PENDING);
      connection.send(
          frame.text(),
          error -> {
            pendingBytes.addAndGet(-frame.bytes());
            if (error != null) {
              discard();
            }
            sending.set(false);
            if (state.getAndSet(DONE) == RETURNED) {
              drain();
            }
          });
      if (state.compareAndSet(PENDING, RETURNED)) {
        return;
      }
    }
  }
}
