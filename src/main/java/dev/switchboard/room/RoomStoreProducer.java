package dev.switchboard.room;

import dev.switchboard.config.SignalingConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Chooses the room store: in memory unless {@code REDIS_URL} is set. */
@ApplicationScoped
public class RoomStoreProducer {

  /** Shown when {@code REDIS_URL} is set on a build that has no Redis store yet. */
  public static final String NO_REDIS_STORE =
      "REDIS_URL is set, but this build keeps rooms in memory only (Redis scale-out is not"
          + " implemented yet); unset REDIS_URL to run a single instance";

  @Produces
  @ApplicationScoped
  RoomStore store(SignalingConfig config) {
    if (config.usesRedis()) {
      throw new IllegalStateException(NO_REDIS_STORE);
    }
    return new LocalRoomStore(config.roomCapacity());
  }
}
