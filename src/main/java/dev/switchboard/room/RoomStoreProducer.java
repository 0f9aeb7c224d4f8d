package dev.switchboard.room;

import dev.switchboard.config.SignalingConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

/** Produces the room store: in memory (the Redis store is not implemented yet). */
@ApplicationScoped
public class RoomStoreProducer {

  @Produces
  @ApplicationScoped
  RoomStore store(SignalingConfig config) {
    // A REDIS_URL is refused at start (SignalingConfig.unsupportedSetting) until the Redis store
    // exists.
    return new LocalRoomStore(config.roomCapacity());
  }
}
