package api

import "github.com/gin-gonic/gin"

// Routes lists the engine's routes (for openapi_test.go).
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

// OpenAPI is the served document.
func OpenAPI() []byte { return openapiDoc }
