// The echo-channel customers live with the integration helpers.
export * from '../../integration/lib/echo.mjs';
