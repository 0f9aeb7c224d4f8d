package dev.switchboard.cluster;

import dev.switchboard.room.RoomId;

/**
 * Every Redis key and channel name. A room's keys share the hash tag {@code {room}}, so its seat
 * script touches one Redis Cluster slot and many rooms spread over the cluster; an instance's keys
 * share {@code {instance}} likewise.
 */
final class RedisKeys {

  /** The set of instance ids that have registered; the reaper walks it. */
  static final String INSTANCES = "switchboard:instances";

  private RedisKeys() {}

  /** Hash: peer id to the id of the instance holding its socket. */
  static String seats(RoomId room) {
    return "switchboard:room:{" + room.value() + "}:seats";
  }

  /** Hash: createdAt, emptiedAt; expires {@code ROOM_TTL_SECONDS} after the room empties. */
  static String room(RoomId room) {
    return "switchboard:room:{" + room.value() + "}";
  }

  /**
   * One of the instance's pub/sub channels ({@link RedisRoomBus#CHANNELS}): envelopes for its
   * members, from the other instances. Each has its own hash tag, so on a Redis Cluster the
   * instances' channels spread over the shards.
   */
  static String channel(String instanceId, int channel) {
    return "switchboard:bus:{" + instanceId + ":" + channel + "}";
  }

  /** String with a short TTL, refreshed while the instance lives. */
  static String alive(String instanceId) {
    return "switchboard:instance:{" + instanceId + "}:alive";
  }

  /** String naming the survivor that is freeing a dead instance's seats; short TTL. */
  static String reaper(String instanceId) {
    return "switchboard:instance:{" + instanceId + "}:reaper";
  }

  /** Set of "room\npeer" seats the instance holds, for reaping them if it dies. */
  static String instanceSeats(String instanceId) {
    return "switchboard:instance:{" + instanceId + "}:seats";
  }

  /**
   * Redisson's rate limiter for one shared message limit ({@code ip_messages:ADDRESS} or {@code
   * room_messages:ID}). Its own keys add suffixes to this name and keep its hash tag, so they share
   * one slot.
   */
  static String rateLimit(String key) {
    return "switchboard:ratelimit:{" + key + "}";
  }

  static String seatEntry(RoomId room, String peerId) {
    return room.value() + "\n" + peerId;
  }
}
