package lambent.runtime;

import com.amazonaws.services.lambda.runtime.Client;
import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decodes the Lambda-Runtime-Cognito-Identity and Lambda-Runtime-Client-Context headers into the
 * Context's CognitoIdentity and ClientContext, with the member names AWS's runtime reads:
 * {"cognitoIdentityId", "cognitoIdentityPoolId"} and
 * {"client": {"installation_id", "app_title", "app_version_name", "app_version_code",
 * "app_package_name"}, "custom": {…}, "env": {…}}. Parsing is lenient, as AWS's Gson is.
 */
final class CallerIdentity {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES, JsonReadFeature.ALLOW_UNQUOTED_FIELD_NAMES,
                    JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private CallerIdentity() {
    }

    static CognitoIdentity cognitoIdentity(String header) throws IOException {
        if (header == null || header.isEmpty()) {
            return null;
        }
        JsonNode node = JSON.readTree(header);
        if (node == null || !node.isObject()) {
            return null;
        }
        String identityId = text(node, "cognitoIdentityId");
        String poolId = text(node, "cognitoIdentityPoolId");
        return new CognitoIdentity() {
            @Override
            public String getIdentityId() {
                return identityId;
            }

            @Override
            public String getIdentityPoolId() {
                return poolId;
            }
        };
    }

    static ClientContext clientContext(String header) throws IOException {
        if (header == null || header.isEmpty()) {
            return null;
        }
        JsonNode node = JSON.readTree(header);
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode clientNode = node.get("client");
        Client client = clientNode == null || !clientNode.isObject() ? null : client(clientNode);
        Map<String, String> custom = map(node.get("custom"));
        Map<String, String> environment = map(node.get("env"));
        return new ClientContext() {
            @Override
            public Client getClient() {
                return client;
            }

            @Override
            public Map<String, String> getCustom() {
                return custom;
            }

            @Override
            public Map<String, String> getEnvironment() {
                return environment;
            }
        };
    }

    private static Client client(JsonNode node) {
        String installationId = text(node, "installation_id");
        String appTitle = text(node, "app_title");
        String appVersionName = text(node, "app_version_name");
        String appVersionCode = text(node, "app_version_code");
        String appPackageName = text(node, "app_package_name");
        return new Client() {
            @Override
            public String getInstallationId() {
                return installationId;
            }

            @Override
            public String getAppTitle() {
                return appTitle;
            }

            @Override
            public String getAppVersionName() {
                return appVersionName;
            }

            @Override
            public String getAppVersionCode() {
                return appVersionCode;
            }

            @Override
            public String getAppPackageName() {
                return appPackageName;
            }
        };
    }

    private static Map<String, String> map(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        Map<String, String> result = new LinkedHashMap<>();
        node.fields().forEachRemaining(entry ->
                result.put(entry.getKey(), entry.getValue().isNull() ? null
                        : entry.getValue().isValueNode() ? entry.getValue().asText() : entry.getValue().toString()));
        return result;
    }

    private static String text(JsonNode node, String name) {
        JsonNode value = node.get(name);
        return value == null || value.isNull() ? null : value.isValueNode() ? value.asText() : value.toString();
    }
}
