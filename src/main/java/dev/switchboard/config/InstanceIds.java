package dev.switchboard.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.UUID;

/** Default instance ids: the host name plus a short random suffix, unique per process. */
final class InstanceIds {

  private InstanceIds() {}

  static String generate() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "switchboard";
    }
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
