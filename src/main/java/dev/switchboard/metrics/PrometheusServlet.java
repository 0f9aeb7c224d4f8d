package dev.switchboard.metrics;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import jakarta.inject.Inject;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET /prometheus}: the scrape path for Prometheus, on every server the WAR runs on. It
 * writes {@link SignalingMetrics#prometheus()} in the text format the scraper asks for (Prometheus
 * text, or OpenMetrics when its {@code Accept} header prefers it), with the client library's own
 * writers.
 *
 * <p>The library's servlet exporter is not used: it is not in the Maven mirror these builds use,
 * and content negotiation plus one write is all it would add.
 */
@WebServlet(urlPatterns = PrometheusServlet.PATH)
public class PrometheusServlet extends HttpServlet {

  public static final String PATH = "/prometheus";
  private static final long serialVersionUID = 1L;

  @Inject transient SignalingMetrics metrics;
  private transient ExpositionFormats formats;

  @Override
  public void init() {
    formats = ExpositionFormats.init();
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    ExpositionFormatWriter writer = formats.findWriter(request.getHeader("Accept"));
    if (!writer.isAvailable()) { // the protobuf format needs a library the WAR leaves out
      writer = formats.getPrometheusTextFormatWriter();
    }
    response.setContentType(writer.getContentType());
    response.setHeader("Cache-Control", "no-store");
    writer.write(response.getOutputStream(), metrics.prometheus().scrape());
  }
}
