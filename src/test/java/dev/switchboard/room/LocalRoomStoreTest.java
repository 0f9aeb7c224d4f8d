package dev.switchboard.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalRoomStoreTest {

  private static final RoomId ROOM = new RoomId("room");

  private final ExecutorService pool = Executors.newFixedThreadPool(50);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private static boolean claim(LocalRoomStore store, RoomId room, PeerId peer) {
    return store.claimSeat(room, peer).toCompletableFuture().join();
  }

  @Test
  void capacityHoldsUnderARace() throws Exception {
    for (int round = 0; round < 20; round++) {
      LocalRoomStore store = new LocalRoomStore(2);
      RoomId room = new RoomId("race-" + round);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> claims = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        claims.add(
            pool.submit(
                () -> {
                  start.await();
                  return claim(store, room, PeerId.random());
                }));
      }
      start.countDown();
      int admitted = 0;
      for (Future<Boolean> f : claims) {
        if (f.get(10, TimeUnit.SECONDS)) {
          admitted++;
        }
      }
      assertThat(admitted).as("round %d", round).isEqualTo(2);
      assertThat(store.seatsTaken(room)).isEqualTo(2);
    }
  }

  @Test
  void releaseFreesASeat() {
    LocalRoomStore store = new LocalRoomStore(2);
    PeerId a = PeerId.random();
    PeerId b = PeerId.random();
    assertThat(claim(store, ROOM, a)).isTrue();
    assertThat(claim(store, ROOM, b)).isTrue();
    assertThat(claim(store, ROOM, PeerId.random())).isFalse();

    store.releaseSeat(ROOM, a);

    assertThat(store.seatsTaken(ROOM)).isEqualTo(1);
    assertThat(claim(store, ROOM, PeerId.random())).isTrue();
    assertThat(claim(store, ROOM, PeerId.random())).isFalse();
  }

  @Test
  void roomsHaveSeparateCapacity() {
    LocalRoomStore store = new LocalRoomStore(1);
    assertThat(claim(store, new RoomId("one"), PeerId.random())).isTrue();
    assertThat(claim(store, new RoomId("two"), PeerId.random())).isTrue();
    assertThat(claim(store, new RoomId("one"), PeerId.random())).isFalse();
  }

  @Test
  void releasingAnUnknownPeerIsANoOp() {
    LocalRoomStore store = new LocalRoomStore(2);
    PeerId a = PeerId.random();
    claim(store, ROOM, a);

    store.releaseSeat(ROOM, PeerId.random());
    store.releaseSeat(new RoomId("elsewhere"), a);

    assertThat(store.seatsTaken(ROOM)).isEqualTo(1);
    assertThat(store.seatsTaken(new RoomId("elsewhere"))).isZero();
  }

  @Test
  void releasingTheLastSeatEmptiesTheRoom() {
    LocalRoomStore store = new LocalRoomStore(2);
    PeerId a = PeerId.random();
    claim(store, ROOM, a);
    store.releaseSeat(ROOM, a);
    store.releaseSeat(ROOM, a);
    assertThat(store.seatsTaken(ROOM)).isZero();
    assertThat(claim(store, ROOM, PeerId.random())).isTrue();
  }

  @Test
  void isAlwaysReady() {
    assertThat(new LocalRoomStore(2).isReady()).isTrue();
  }
}
