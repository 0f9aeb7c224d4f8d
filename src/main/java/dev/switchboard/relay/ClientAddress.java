package dev.switchboard.relay;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Carries the client's address from the servlet filter, which sees the socket, to the WebSocket
 * handshake, which does not (JSR-356 has no remote address): as a request header that the filter
 * sets and a client can never supply itself (any such header it sends is dropped).
 */
final class ClientAddress {

  static final String HEADER = "X-Switchboard-Client-Address";

  private ClientAddress() {}

  static HttpServletRequest attach(HttpServletRequest request, String address) {
    return new HttpServletRequestWrapper(request) {
      @Override
      public String getHeader(String name) {
        return HEADER.equalsIgnoreCase(name) ? address : super.getHeader(name);
      }

      @Override
      public Enumeration<String> getHeaders(String name) {
        return HEADER.equalsIgnoreCase(name)
            ? Collections.enumeration(List.of(address))
            : super.getHeaders(name);
      }

      @Override
      public Enumeration<String> getHeaderNames() {
        List<String> names = new ArrayList<>();
        for (Enumeration<String> e = super.getHeaderNames(); e.hasMoreElements(); ) {
          String name = e.nextElement();
          if (!HEADER.equalsIgnoreCase(name)) {
            names.add(name);
          }
        }
        names.add(HEADER);
        return Collections.enumeration(names);
      }
    };
  }
}
