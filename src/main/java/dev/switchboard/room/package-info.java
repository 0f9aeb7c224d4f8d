/**
 * Rooms and their members: who is in which room, delivering frames to the other members in order
 * with per-recipient backpressure, and the seam ({@link dev.switchboard.room.RoomStore}) behind
 * which seats are claimed in memory or, later, across instances.
 */
package dev.switchboard.room;
