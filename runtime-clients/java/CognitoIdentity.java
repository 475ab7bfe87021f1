package com.amazonaws.services.lambda.runtime;

/** The Amazon Cognito identity that invoked the function (the Lambda-Runtime-Cognito-Identity header). */
public interface CognitoIdentity {

    /** The Cognito identity id. */
    String getIdentityId();

    /** The Cognito identity pool id. */
    String getIdentityPoolId();
}
