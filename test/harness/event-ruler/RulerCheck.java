import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import software.amazon.event.ruler.Machine;

/**
 * AWS Event Ruler, the matcher EventBridge uses, as a long-lived process: one JSON line in,
 * {"pattern": {...}, "event": {...}}, one JSON line out, {"matches": true|false} or {"error": "..."}.
 * A JVM per check costs about half a second; this answers in about a millisecond.
 */
public final class RulerCheck {
  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    out.println("{\"ready\":true}");
    String line;
    while ((line = in.readLine()) != null) {
      ObjectNode reply = json.createObjectNode();
      try {
        JsonNode request = json.readTree(line);
        Machine machine = new Machine();
        machine.addRule("rule", json.writeValueAsString(request.get("pattern")));
        boolean matches = !machine.rulesForJSONEvent(json.writeValueAsString(request.get("event"))).isEmpty();
        reply.put("matches", matches);
      } catch (Exception e) {
        reply.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      out.println(json.writeValueAsString(reply));
    }
  }
}
