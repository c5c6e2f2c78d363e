/*
 * KafkaAcls - allow ACL bindings read from standard input (ops/kafka-acls).
 *
 * SYNOPSIS
 *	java -cp 'KAFKA_LIBS/*' KafkaAcls.java BOOTSTRAP CLIENT_PROPERTIES < bindings
 *
 * DESCRIPTION
 *	Each input line is one binding, four words: the principal
 *	(User:name), the operation (READ, WRITE, DESCRIBE, ...), the
 *	resource type (TOPIC, GROUP, CLUSTER) and the literal resource name.
 *	Every binding allows, from any host; creating one that exists changes
 *	nothing, so a second run is a no-op. CLIENT_PROPERTIES holds the
 *	admin client's settings (security.protocol, sasl.*, ssl.*). Prints
 *	how many bindings it sent; exits 1 when the broker refuses one.
 */
import java.io.BufferedReader;
import java.io.FileReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class KafkaAcls {
    /* binding - one input line as an allowing binding */
    static AclBinding binding(String line) {
        String[] w = line.trim().split("\\s+");
        if (w.length != 4)
            throw new IllegalArgumentException("expected: PRINCIPAL OPERATION TYPE NAME, got: " + line);
        ResourcePattern resource =
            new ResourcePattern(ResourceType.fromString(w[2]), w[3], PatternType.LITERAL);
        return new AclBinding(resource, new AccessControlEntry(w[0], "*",
            AclOperation.fromString(w[1]), AclPermissionType.ALLOW));
    }

    /* readBindings - every non-empty line of standard input */
    static List<AclBinding> readBindings() throws Exception {
        List<AclBinding> out = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null;)
            if (!line.isBlank())
                out.add(binding(line));
        return out;
    }

    /* main - create the bindings with the admin client */
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (FileReader f = new FileReader(args[1])) {
            props.load(f);
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        List<AclBinding> bindings = readBindings();
        try (Admin admin = Admin.create(props)) {
            admin.createAcls(bindings).all().get();
        } catch (java.util.concurrent.ExecutionException e) {
            System.err.println("kafka-acls: the broker refused: " + e.getCause().getMessage());
            System.exit(1);
        }
        System.out.println(bindings.size() + " ACL bindings present");
    }
}
