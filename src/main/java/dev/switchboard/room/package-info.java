/**
 * Rooms and their members: who is in which room, delivering frames to the other members in order
 * with per-recipient backpressure, and the two seams behind which other instances take part: {@link
 * dev.switchboard.room.RoomStore} (where seats are claimed) and {@link
 * dev.switchboard.room.RoomBus} (how frames reach members elsewhere). In memory here; in Redis in
 * {@code dev.switchboard.cluster}.
 */
package dev.switchboard.room;
